//! Keeps the workspace's architecture true: services never link each other, `model` stays
//! free of web, bus and database crates, the gateway never pulls in the worker's machinery
//! and writes the database only through `store::auth`, and no crate's sibling modules import
//! each other in a cycle. Each failure names the edge or line to remove. Reads `cargo metadata` and the sources; needs no services running.

mod crates_graph;
mod cycle_tests;
mod cycles;
mod gateway_writes;
mod lexer;
mod metadata;
mod modules;
mod parse;

use crates_graph::{GATEWAY_BANNED, GATEWAY_BANNED_DIRECT, MODEL_BANNED};

fn assert_none(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n  {}\n", problems.join("\n  "));
}

#[test]
fn every_workspace_crate_is_classified() {
    assert_none("unclassified crates", &crates_graph::unclassified(metadata::declared()));
}

#[test]
fn services_do_not_depend_on_each_other() {
    assert_none(
        "dependencies that break the layering",
        &crates_graph::layering_violations(metadata::declared()),
    );
}

#[test]
fn model_stays_free_of_web_bus_and_database_crates() {
    let problems = crates_graph::transitive_violations(metadata::resolved(), "model", MODEL_BANNED);
    assert_none("model pulls in web, bus or database crates", &problems);
}

#[test]
fn gateway_does_not_pull_in_the_worker() {
    let mut problems = crates_graph::direct_violations(metadata::declared(), "auth-gateway", GATEWAY_BANNED_DIRECT);
    problems.extend(crates_graph::transitive_violations(
        metadata::resolved(),
        "auth-gateway",
        GATEWAY_BANNED,
    ));
    assert_none("auth-gateway pulls in the worker's machinery", &problems);
}

#[test]
fn gateway_writes_only_through_store_auth() {
    let src = metadata::declared().workspace_root.join("crates/auth-gateway/src");
    assert_none(
        "database writes in auth-gateway outside store::auth",
        &gateway_writes::violations(&src),
    );
}

#[test]
fn no_module_import_cycles() {
    let metadata = metadata::declared();
    let read = |path: &std::path::Path| std::fs::read_to_string(path).ok();
    let mut problems = Vec::new();
    for package in metadata.members() {
        // Libraries and binaries: `src/` and the `tests` package's `support/`, not test targets.
        let roots = package.targets.iter().filter(|t| {
            t.kind
                .iter()
                .any(|k| k.contains("lib") || k == "bin" || k == "proc-macro")
        });
        for target in roots {
            let label = if target.kind.iter().any(|k| k == "bin") {
                format!("{} (bin {})", package.name, target.name)
            } else {
                package.name.clone()
            };
            let tree = modules::ModuleTree::load(&target.src_path, &read);
            problems.extend(tree.missing.iter().map(|m| format!("{label}: no file for module {m}")));
            let found = cycles::find_cycles(&tree.references());
            problems.extend(
                found
                    .iter()
                    .map(|c| format!("{label}: {}", c.describe(&metadata.workspace_root))),
            );
        }
    }
    assert_none(
        "module import cycles (break each by moving what both sides need into a module both may use)",
        &problems,
    );
}
