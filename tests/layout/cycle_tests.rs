//! Unit tests of the cycle finder on small in-memory crates: what makes a cycle, what does
//! not, and the path forms (nested `use` groups, `super::super`, `#[path]`, globs) it resolves.

use std::{collections::BTreeMap, path::Path};

use crate::{cycles::find_cycles, lexer, modules::ModuleTree};

/// The cycles of the crate made of `files` (`src/lib.rs` first), by name.
fn cycles(files: &[(&str, &str)]) -> Vec<String> {
    let files: BTreeMap<&Path, &str> = files.iter().map(|(p, s)| (Path::new(*p), *s)).collect();
    let tree = ModuleTree::load(Path::new("src/lib.rs"), &|p| files.get(p).map(|s| s.to_string()));
    assert!(tree.missing.is_empty(), "missing module files: {:?}", tree.missing);
    find_cycles(&tree.references()).iter().map(|c| c.name()).collect()
}

#[test]
fn two_siblings_naming_each_other_are_a_cycle() {
    let found = cycles(&[
        ("src/lib.rs", "mod a; mod b;"),
        ("src/a.rs", "use crate::b::Thing;"),
        ("src/b.rs", "pub fn f() { crate::a::g(); }"),
    ]);
    assert_eq!(found, ["crate::{a -> b -> a}"]);
}

#[test]
fn a_parent_naming_its_children_and_children_naming_ancestors_is_no_cycle() {
    let found = cycles(&[
        (
            "src/lib.rs",
            "mod a; use a::Thing; pub fn f() { a::g(); a::inner::h(); }",
        ),
        (
            "src/a/mod.rs",
            "mod inner; use super::f; pub fn g() { inner::h(); crate::f(); }",
        ),
        (
            "src/a/inner.rs",
            "use super::super::f; use super::g; use crate::a::Thing;",
        ),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn nested_use_groups_are_resolved() {
    let found = cycles(&[
        ("src/lib.rs", "mod a; mod b; mod c;"),
        ("src/a.rs", "use crate::{b::{self, x::{Y, Z}}, c as other};"),
        ("src/b.rs", "pub mod x {}"),
        ("src/c.rs", "use super::{a, d};"),
    ]);
    assert_eq!(found, ["crate::{a -> c -> a}"]);
}

#[test]
fn a_cycle_is_reported_at_its_own_level() {
    let found = cycles(&[
        ("src/lib.rs", "mod routes;"),
        ("src/routes/mod.rs", "mod forgot; mod password;"),
        ("src/routes/forgot.rs", "use super::password::reset;"),
        ("src/routes/password.rs", "fn f() { self::super::forgot::page() }"),
    ]);
    assert_eq!(found, ["crate::routes::{forgot -> password -> forgot}"]);
}

#[test]
fn deeper_modules_count_for_their_top_sibling() {
    // `a::x` names `b::y::Z` and `b::y` names `a`: a cycle between `a` and `b`.
    let found = cycles(&[
        ("src/lib.rs", "mod a; mod b;"),
        ("src/a.rs", "mod x;"),
        ("src/a/x.rs", "fn f() -> crate::b::y::Z { todo() }"),
        ("src/b/mod.rs", "mod y;"),
        ("src/b/y.rs", "use crate::a;"),
    ]);
    assert_eq!(found, ["crate::{a -> b -> a}"]);
}

#[test]
fn comments_strings_and_char_literals_name_nothing() {
    let found = cycles(&[
        ("src/lib.rs", "mod a; mod b;"),
        ("src/a.rs", "use crate::b;"),
        (
            "src/b.rs",
            r###"// crate::a::x
            /* crate::a /* nested */ crate::a */
            fn f<'a>(s: &'a str) -> char { let _ = "crate::a::y"; let _ = r#"a "quoted" crate::a"#; '"' }
            const C: char = 'a'; const Q: u8 = b'\''; fn g() { let _ = br"crate::a"; }"###,
        ),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn path_attributes_inline_modules_and_globs_are_followed() {
    let found = cycles(&[
        ("src/lib.rs", "mod a; mod b;"),
        (
            "src/a.rs",
            "use crate::b;\n#[cfg(test)]\n#[path = \"a_tests.rs\"]\nmod tests;",
        ),
        // The tests file reaches `b` through its parent's import, brought in by the glob.
        ("src/a_tests.rs", "use super::*; fn t() { b::f(); }"),
        ("src/b.rs", "mod tests { use super::super::a; }"),
    ]);
    assert_eq!(found, ["crate::{a -> b -> a}"]);

    let found = cycles(&[
        ("src/lib.rs", "mod a; mod b;"),
        ("src/a.rs", "use crate::b as b; pub fn g() {}"),
        ("src/b.rs", "#[cfg(test)] mod tests { use super::*; fn t() { f(); } }"),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn larger_components_show_each_edge_in_a_cycle() {
    let found = cycles(&[
        ("src/lib.rs", "mod app; mod admin; mod shop; mod state;"),
        ("src/app.rs", "use crate::{admin, shop, state};"),
        ("src/admin.rs", "use crate::app::App; use crate::state::S;"),
        ("src/shop.rs", "fn f() { crate::app::App::new(); }"),
        ("src/state.rs", ""),
    ]);
    assert_eq!(found, ["crate::{admin -> app -> admin}", "crate::{app -> shop -> app}"]);
}

#[test]
fn lexer_keeps_raw_identifiers_and_drops_lifetimes() {
    let toks: Vec<_> = lexer::tokenize("r#type::x 'a 'b' r\"s\"")
        .into_iter()
        .map(|t| t.tok)
        .collect();
    assert_eq!(
        toks,
        [
            lexer::Tok::Ident("type".into()),
            lexer::Tok::Sep,
            lexer::Tok::Ident("x".into()),
            lexer::Tok::Other,
            lexer::Tok::Other,
            lexer::Tok::Str("s".into()),
        ]
    );
}
