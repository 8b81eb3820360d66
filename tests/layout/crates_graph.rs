//! The crate-level architecture: which workspace crates are services, libraries or harnesses,
//! who may depend on whom, and what `model` and `auth-gateway` must never pull in.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::metadata::{Metadata, names, section};

/// Deployed services, each its own binary, deployed, scaled and restarted on its own. They
/// meet over HTTP and RabbitMQ, never by linking each other: a service linking another drags
/// in its settings, migrations and dependencies, and ties their releases together.
pub const SERVICES: &[&str] = &[
    "auth-gateway",
    "webhook-ingest",
    "sync-worker",
    "secutix-sim",
    "support-console",
];

/// Shared code for the services; a library depends only on other libraries.
pub const LIBRARIES: &[&str] = &["model", "infra", "store", "standard-webhooks", "secutix-client"];

/// Benchmarks and cross-service tests drive the services from outside, so they may depend on
/// anything; nothing else may depend on them.
pub const HARNESSES: &[&str] = &["bench", "tests"];

/// Web, bus and database crates `model` must never reach: every crate (the simulator, the
/// fuzz targets, the gateway) depends on `model` for its types, and one of these would make
/// all of them compile and link a server, a broker client or a database driver for nothing.
/// `tokio` is here too: the types need no runtime.
pub const MODEL_BANNED: &[&str] = &[
    "actix-web",
    "actix-http",
    "hyper",
    "reqwest",
    "axum",
    "lapin",
    "amq-protocol",
    "diesel",
    "diesel-async",
    "tokio-postgres",
    "postgres",
    "sqlx",
    "deadpool",
    "tokio",
];

/// The worker's machinery (the worker itself, its mailer, the CSV importer and its progress
/// bars), which the gateway must not reach by any path: it is the public, latency-sensitive
/// service, and importing never happens in it.
pub const GATEWAY_BANNED: &[&str] = &["sync-worker", "lettre", "csv", "indicatif"];

/// Banned as a direct dependency only: the importer's COPY path uses `tokio-postgres` itself,
/// but `diesel-async` (which the gateway's store queries run on) is built on it, so the
/// gateway always reaches it transitively.
pub const GATEWAY_BANNED_DIRECT: &[&str] = &["tokio-postgres"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Service,
    Library,
    Harness,
}

fn role(name: &str) -> Option<Role> {
    [
        (SERVICES, Role::Service),
        (LIBRARIES, Role::Library),
        (HARNESSES, Role::Harness),
    ]
    .into_iter()
    .find(|(names, _)| names.contains(&name))
    .map(|(_, role)| role)
}

/// Members in none of the lists: every new crate must be placed before it can be checked.
pub fn unclassified(metadata: &Metadata) -> Vec<String> {
    metadata
        .members()
        .filter(|p| role(&p.name).is_none())
        .map(|p| {
            format!(
                "workspace crate `{}` is not classified: add it to SERVICES, LIBRARIES or HARNESSES in \
                 tests/layout/crates_graph.rs",
                p.name
            )
        })
        .collect()
}

/// Edges between members that break the layering: a service on a service (any dependency
/// kind: a dev-dependency still builds one service's tests against another's internals), a
/// library on a service, or anything but a harness on a harness.
pub fn layering_violations(metadata: &Metadata) -> Vec<String> {
    let members: BTreeSet<&str> = metadata.members().map(|p| p.name.as_str()).collect();
    let mut out = Vec::new();
    for package in metadata.members() {
        let Some(from) = role(&package.name) else { continue };
        let manifest = package
            .manifest_path
            .strip_prefix(&metadata.workspace_root)
            .unwrap_or(&package.manifest_path);
        for dep in package
            .dependencies
            .iter()
            .filter(|d| d.path.is_some() && members.contains(d.name.as_str()))
        {
            let Some(to) = role(&dep.name) else { continue };
            let why = match (from, to) {
                (Role::Service, Role::Service) => {
                    "services meet over HTTP and RabbitMQ; move what both need into a library"
                }
                (Role::Library, Role::Service) => "a library must not depend on a service",
                (Role::Service | Role::Library, Role::Harness) => "only harnesses may depend on a harness",
                _ => continue,
            };
            out.push(format!(
                "{:?} `{}` depends on {:?} `{}` ({} in {}): {why}",
                from,
                package.name,
                to,
                dep.name,
                section(dep.kind.as_deref()),
                manifest.display()
            ));
        }
    }
    out
}

/// `krate`'s manifest listing one of `banned` as a normal or build dependency.
pub fn direct_violations(metadata: &Metadata, krate: &str, banned: &[&str]) -> Vec<String> {
    let Some(package) = metadata.member(krate) else {
        return vec![format!("no workspace crate `{krate}`")];
    };
    package
        .dependencies
        .iter()
        .filter(|d| d.kind.as_deref() != Some("dev") && banned.contains(&d.name.as_str()))
        .map(|d| {
            format!(
                "`{krate}` depends directly on `{}` ({})",
                d.name,
                section(d.kind.as_deref())
            )
        })
        .collect()
}

/// Each crate of `banned` that `krate` reaches through normal dependencies (what it links),
/// with the shortest chain to it. The resolved graph unifies features across the workspace,
/// so it may show an edge one crate alone would not enable; it never hides one.
pub fn transitive_violations(metadata: &Metadata, krate: &str, banned: &[&str]) -> Vec<String> {
    let resolve = metadata
        .resolve
        .as_ref()
        .expect("cargo metadata without --no-deps has a resolve graph");
    let names = names(metadata);
    let Some(start) = metadata.member(krate).map(|p| p.id.as_str()) else {
        return vec![format!("no workspace crate `{krate}`")];
    };
    let edges: BTreeMap<&str, Vec<&str>> = resolve
        .nodes
        .iter()
        .map(|node| {
            let normal = node
                .deps
                .iter()
                .filter(|d| d.dep_kinds.iter().any(|k| k.kind.is_none()));
            (node.id.as_str(), normal.map(|d| d.pkg.as_str()).collect())
        })
        .collect();
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    let mut found: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    while let Some(id) = queue.pop_front() {
        let name = names.get(id).copied().unwrap_or(id);
        if banned.contains(&name) && !found.contains_key(name) {
            let mut chain = vec![name];
            let mut at = id;
            while let Some(&up) = previous.get(at) {
                chain.push(names.get(up).copied().unwrap_or(up));
                at = up;
            }
            chain.reverse();
            found.insert(name, chain);
        }
        for &next in edges.get(id).into_iter().flatten() {
            if next != start && !previous.contains_key(next) {
                previous.insert(next, id);
                queue.push_back(next);
            }
        }
    }
    found
        .into_iter()
        .map(|(name, chain)| {
            let edge = &chain[chain.len().saturating_sub(2)..];
            format!(
                "`{krate}` reaches `{name}` through {} (offending edge: {})",
                chain.join(" -> "),
                edge.join(" -> ")
            )
        })
        .collect()
}
