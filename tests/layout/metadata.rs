//! Runs `cargo metadata` for the workspace (once per test binary) and gives typed views of it:
//! the members as their manifests declare them, and the fully resolved dependency graph.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub packages: Vec<Package>,
    pub workspace_members: Vec<String>,
    pub workspace_root: PathBuf,
    pub resolve: Option<Resolve>,
}

#[derive(Debug, Deserialize)]
pub struct Package {
    pub id: String,
    pub name: String,
    pub manifest_path: PathBuf,
    pub dependencies: Vec<Dependency>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Deserialize)]
pub struct Dependency {
    /// The package's name, even when the manifest renames it.
    pub name: String,
    /// `None` for `[dependencies]`, else `"dev"` or `"build"`.
    pub kind: Option<String>,
    /// Set for path dependencies, which is what workspace crates are to each other.
    pub path: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
pub struct Target {
    pub kind: Vec<String>,
    pub name: String,
    pub src_path: PathBuf,
}

#[derive(Debug, Deserialize)]
pub struct Resolve {
    pub nodes: Vec<Node>,
}

#[derive(Debug, Deserialize)]
pub struct Node {
    pub id: String,
    pub deps: Vec<NodeDep>,
}

#[derive(Debug, Deserialize)]
pub struct NodeDep {
    pub pkg: String,
    pub dep_kinds: Vec<DepKind>,
}

#[derive(Debug, Deserialize)]
pub struct DepKind {
    pub kind: Option<String>,
}

/// `[dependencies]` in the manifest section's terms, for messages.
pub fn section(kind: Option<&str>) -> &'static str {
    match kind {
        Some("dev") => "[dev-dependencies]",
        Some("build") => "[build-dependencies]",
        _ => "[dependencies]",
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The members only, as declared (`--no-deps`): cheap, and enough for edges between them.
pub fn declared() -> &'static Metadata {
    static CELL: OnceLock<Metadata> = OnceLock::new();
    CELL.get_or_init(|| run(&["--no-deps"]))
}

/// Every package and the resolved graph, as cargo would build the workspace.
pub fn resolved() -> &'static Metadata {
    static CELL: OnceLock<Metadata> = OnceLock::new();
    CELL.get_or_init(|| run(&[]))
}

impl Metadata {
    pub fn members(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| self.workspace_members.contains(&p.id))
    }

    pub fn member(&self, name: &str) -> Option<&Package> {
        self.members().find(|p| p.name == name)
    }
}

fn run(extra: &[&str]) -> Metadata {
    // `CARGO` is the cargo running this test, so the same toolchain reads the same lockfile.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1"])
        .args(extra)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "running {} metadata in {}: {e}",
                cargo.to_string_lossy(),
                root.display()
            )
        });
    assert!(
        output.status.success(),
        "cargo metadata {extra:?} failed in {}:\n{}",
        root.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("cargo metadata printed unexpected JSON: {e}"))
}

/// Package id to name, for every package in the metadata.
pub fn names(metadata: &Metadata) -> BTreeMap<&str, &str> {
    metadata
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect()
}
