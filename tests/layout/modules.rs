//! The module tree of one crate target, read from its files the way rustc finds them
//! (`foo.rs` or `foo/mod.rs`, `#[path]`, inline `mod x { .. }`), and the module-to-module
//! references its code makes, each resolved to the module that contains what it names.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use crate::parse::{ItemKind, parse};

/// A module path below the crate root: `[]` is `crate`, `["routes", "login"]` is `crate::routes::login`.
pub type ModPath = Vec<String>;

#[derive(Debug, Default)]
pub struct Module {
    /// The file the module is written in (for an inline module, the file around it).
    pub file: PathBuf,
    pub children: BTreeSet<String>,
    imports: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// Every path the module names, as written, with its line.
    named: Vec<(Vec<String>, usize)>,
}

#[derive(Debug, Default)]
pub struct ModuleTree {
    pub modules: BTreeMap<ModPath, Module>,
    /// `mod x;` declarations whose file was not found: the tree would be wrong without them.
    pub missing: Vec<String>,
}

/// Code in `from` names `named` (as written at `file:line`), which lies in module `to`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub from: ModPath,
    pub to: ModPath,
    pub file: PathBuf,
    pub line: usize,
    pub named: String,
}

/// Where rustc looks for a module's `mod x;` files: in `dir`, or in `dir/<relative>` for a
/// non-`mod.rs` file such as `foo.rs` (whose children live in `foo/`).
#[derive(Debug, Clone)]
struct Dir {
    path: PathBuf,
    relative: Option<String>,
}

impl Dir {
    fn base(&self) -> PathBuf {
        match &self.relative {
            Some(name) => self.path.join(name),
            None => self.path.clone(),
        }
    }
}

pub fn full_name(path: &[String]) -> String {
    std::iter::once("crate")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("::")
}

impl ModuleTree {
    /// Reads the crate whose root file is `root` (`src/lib.rs`, `src/main.rs`); `read` gives a
    /// file's text, or `None` when there is no such file.
    pub fn load(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> ModuleTree {
        let mut tree = ModuleTree::default();
        let root_dir = Dir {
            path: root.parent().unwrap_or(Path::new("")).to_path_buf(),
            relative: None,
        };
        let Some(src) = read(root) else {
            tree.missing.push(root.display().to_string());
            return tree;
        };
        let mut queue = vec![(ModPath::new(), root.to_path_buf(), root_dir, src)];
        while let Some((module, file, dir, src)) = queue.pop() {
            tree.modules.insert(
                module.clone(),
                Module {
                    file: file.clone(),
                    ..Module::default()
                },
            );
            // Inline modules find their files below their own directory.
            let mut dirs: BTreeMap<ModPath, Dir> = BTreeMap::from([(Vec::new(), dir)]);
            for item in parse(&src) {
                let mut scope = module.clone();
                scope.extend(item.scope.iter().cloned());
                let scope_dir = dirs
                    .get(&item.scope)
                    .cloned()
                    .unwrap_or_else(|| dirs[&Vec::new()].clone());
                let entry = tree.modules.entry(scope.clone()).or_default();
                match item.kind {
                    ItemKind::Mod {
                        name,
                        inline: true,
                        path_attr,
                    } => {
                        entry.children.insert(name.clone());
                        let mut child = scope.clone();
                        child.push(name.clone());
                        tree.modules.insert(
                            child,
                            Module {
                                file: file.clone(),
                                ..Module::default()
                            },
                        );
                        let path = match path_attr {
                            // On an inline module, `#[path]` names its directory.
                            Some(attr) => scope_dir.path.join(attr),
                            None => scope_dir.base().join(&name),
                        };
                        let mut inner = item.scope.clone();
                        inner.push(name);
                        dirs.insert(inner, Dir { path, relative: None });
                    }
                    ItemKind::Mod {
                        name,
                        inline: false,
                        path_attr,
                    } => {
                        entry.children.insert(name.clone());
                        let mut child = scope.clone();
                        child.push(name.clone());
                        match child_file(&scope_dir, &name, path_attr.as_deref(), read) {
                            Some((file, dir, src)) => queue.push((child, file, dir, src)),
                            None => {
                                tree.missing
                                    .push(format!("{} (declared in {})", full_name(&child), file.display()))
                            }
                        }
                    }
                    ItemKind::Import { binding, path } => {
                        entry.named.push((path.clone(), item.line));
                        if let Some(binding) = binding {
                            entry.imports.insert(binding, path);
                        }
                    }
                    ItemKind::Glob { path } => {
                        entry.named.push((path.clone(), item.line));
                        entry.globs.push(path);
                    }
                    ItemKind::Path { path } => entry.named.push((path, item.line)),
                }
            }
        }
        tree
    }

    /// Every path named in the crate that resolves to one of its own modules.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        for (from, module) in &self.modules {
            for (named, line) in &module.named {
                if let Some(target) = self.resolve(from, named, 0) {
                    out.push(Reference {
                        from: from.clone(),
                        to: self.containing_module(&target),
                        file: module.file.clone(),
                        line: *line,
                        named: named.join("::"),
                    });
                }
            }
        }
        out
    }

    /// The longest prefix of `path` that is a module: `crate::a::Item::new` lies in `crate::a`.
    fn containing_module(&self, path: &[String]) -> ModPath {
        (0..=path.len())
            .rev()
            .map(|n| &path[..n])
            .find(|p| self.modules.contains_key(*p))
            .unwrap_or_default()
            .to_vec()
    }

    /// `segments` as written in module `scope`, as a path from the crate root; `None` for
    /// anything outside the crate (another crate, a generic parameter, `Self::X`).
    fn resolve(&self, scope: &[String], segments: &[String], depth: usize) -> Option<ModPath> {
        let (first, rest) = segments.split_first()?;
        let mut out = match first.as_str() {
            "crate" => ModPath::new(),
            "self" => scope.to_vec(),
            "super" => scope.split_last()?.1.to_vec(),
            "::" => return None,
            name => self.resolve_name(scope, name, depth)?,
        };
        for segment in rest {
            match segment.as_str() {
                "super" => {
                    out.pop()?;
                }
                "self" => {}
                name => out.push(name.to_owned()),
            }
        }
        Some(out)
    }

    /// A path's first segment, looked up as rustc 2018+ does: a child module, then the
    /// module's imports, then what its glob imports (`use super::*;`) bring in.
    fn resolve_name(&self, scope: &[String], name: &str, depth: usize) -> Option<ModPath> {
        // Imports may chain (`use a::b; use b::c;`); a cycle of them is a compile error.
        if depth > 16 {
            return None;
        }
        let module = self.modules.get(scope)?;
        if module.children.contains(name) {
            let mut path = scope.to_vec();
            path.push(name.to_owned());
            return Some(path);
        }
        if let Some(import) = module.imports.get(name) {
            return self.resolve(scope, import, depth + 1);
        }
        module.globs.iter().find_map(|glob| {
            let source = self.resolve(scope, glob, depth + 1)?;
            if source.as_slice() == scope || !self.modules.contains_key(&source) {
                return None;
            }
            self.resolve_name(&source, name, depth + 1)
        })
    }
}

/// The file of `mod name;` declared in a module whose files are looked up in `dir`, with the
/// directory its own children are looked up in, and its text.
fn child_file(
    dir: &Dir,
    name: &str,
    path_attr: Option<&str>,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<(PathBuf, Dir, String)> {
    if let Some(attr) = path_attr {
        // A `#[path]` file is relative to the declaring file's directory and, like `mod.rs`,
        // keeps its own children beside it.
        let file = dir.path.join(attr);
        let src = read(&file)?;
        let parent = file.parent().unwrap_or(Path::new("")).to_path_buf();
        return Some((
            file,
            Dir {
                path: parent,
                relative: None,
            },
            src,
        ));
    }
    let base = dir.base();
    let flat = base.join(format!("{name}.rs"));
    if let Some(src) = read(&flat) {
        return Some((
            flat,
            Dir {
                path: base,
                relative: Some(name.to_owned()),
            },
            src,
        ));
    }
    let nested = base.join(name).join("mod.rs");
    let src = read(&nested)?;
    Some((
        nested,
        Dir {
            path: base.join(name),
            relative: None,
        },
        src,
    ))
}
