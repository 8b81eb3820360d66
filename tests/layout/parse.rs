//! Reads one file's tokens into what the module graph needs: module declarations, `use` leaves
//! and the paths named in code, each tagged with the inline module (`mod x { .. }`) it sits in.
//! Paths are kept as written (`super::a::B`); `modules` resolves them.

use crate::lexer::{Tok, Token, tokenize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// `mod name;` (its file is looked up) or `mod name { .. }` (inline).
    Mod {
        name: String,
        inline: bool,
        path_attr: Option<String>,
    },
    /// A `use` leaf: `use a::b as c;` binds `c` to `a::b`; `use a::b as _;` binds nothing.
    Import { binding: Option<String>, path: Vec<String> },
    /// `use a::*;`
    Glob { path: Vec<String> },
    /// A path of two or more segments named in code: `crate::a::f()`, `super::B`, `x::Y`.
    Path { path: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The inline modules around the item, relative to the file's own module.
    pub scope: Vec<String>,
    pub line: usize,
    pub kind: ItemKind,
}

pub fn parse(src: &str) -> Vec<Item> {
    let mut parser = Parser {
        toks: tokenize(src),
        pos: 0,
        items: Vec::new(),
        scopes: vec![(Vec::new(), 0)],
        path_attr: None,
    };
    parser.run();
    parser.items
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    items: Vec<Item>,
    /// Open inline modules, innermost last, each with the depth of other braces open inside it.
    scopes: Vec<(Vec<String>, usize)>,
    /// A `#[path = ".."]` waiting for the `mod` it is attached to.
    path_attr: Option<String>,
}

impl Parser {
    fn tok(&self, ahead: usize) -> Option<&Tok> {
        self.toks.get(self.pos + ahead).map(|t| &t.tok)
    }

    fn ident(&self, ahead: usize) -> Option<&str> {
        match self.tok(ahead) {
            Some(Tok::Ident(name)) => Some(name),
            _ => None,
        }
    }

    fn is(&self, ahead: usize, c: char) -> bool {
        self.tok(ahead) == Some(&Tok::Punct(c))
    }

    fn line(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.line)
    }

    fn push(&mut self, line: usize, kind: ItemKind) {
        let scope = self.scopes.last().map(|(s, _)| s.clone()).unwrap_or_default();
        self.items.push(Item { scope, line, kind });
    }

    fn run(&mut self) {
        while let Some(tok) = self.tok(0).cloned() {
            let line = self.line();
            match tok {
                Tok::Punct('#') if self.is(1, '[') => self.attribute(),
                Tok::Ident(kw) if kw == "mod" && self.ident(1).is_some() => self.module(line),
                // `use<'a>` is precise capturing in `impl Trait + use<'a>`, not an import.
                Tok::Ident(kw) if kw == "use" && !self.is(1, '<') => {
                    self.pos += 1;
                    self.use_tree(Vec::new(), line);
                }
                Tok::Punct('{') => {
                    self.path_attr = None;
                    self.pos += 1;
                    if let Some((_, depth)) = self.scopes.last_mut() {
                        *depth += 1;
                    }
                }
                Tok::Punct('}') => {
                    self.pos += 1;
                    let nested = self.scopes.len() > 1;
                    match self.scopes.last_mut() {
                        Some((_, depth)) if *depth > 0 => *depth -= 1,
                        _ if nested => {
                            self.scopes.pop();
                        }
                        _ => {}
                    }
                }
                Tok::Punct(';') => {
                    self.path_attr = None;
                    self.pos += 1;
                }
                // `$crate::a::b` in a macro body names this crate's `a::b`.
                Tok::Punct('$') if self.ident(1) == Some("crate") => {
                    self.pos += 1;
                    self.code_path(line);
                }
                Tok::Ident(_) if self.pos == 0 || self.toks[self.pos - 1].tok != Tok::Sep => self.code_path(line),
                _ => self.pos += 1,
            }
        }
    }

    fn attribute(&mut self) {
        if self.ident(2) == Some("path")
            && self.is(3, '=')
            && let Some(Tok::Str(path)) = self.tok(4).cloned()
            && self.is(5, ']')
        {
            self.path_attr = Some(path);
            self.pos += 6;
        } else {
            // Other attributes are scanned as code: `#[serde(with = crate::x)]` names a path.
            self.pos += 2;
        }
    }

    fn module(&mut self, line: usize) {
        let name = self.ident(1).unwrap_or_default().to_owned();
        let inline = self.is(2, '{');
        if !inline && !self.is(2, ';') {
            self.pos += 1;
            return;
        }
        let path_attr = self.path_attr.take();
        self.push(
            line,
            ItemKind::Mod {
                name: name.clone(),
                inline,
                path_attr,
            },
        );
        self.pos += 3;
        if inline {
            let mut scope = self.scopes.last().map(|(s, _)| s.clone()).unwrap_or_default();
            scope.push(name);
            self.scopes.push((scope, 0));
        }
    }

    /// `ident (:: ident)*` at the cursor; only paths of two or more segments say anything
    /// about another module (a lone name is either local or came in through a `use`).
    fn code_path(&mut self, line: usize) {
        let mut path = Vec::new();
        while let Some(name) = self.ident(0).map(str::to_owned) {
            path.push(name);
            self.pos += 1;
            if self.tok(0) == Some(&Tok::Sep) && self.ident(1).is_some() {
                self.pos += 1;
            } else {
                break;
            }
        }
        if path.len() >= 2 {
            self.push(line, ItemKind::Path { path });
        }
    }

    /// One use tree after `prefix`, e.g. `a::{b, c::*}`; at the top level, also its `;`.
    fn use_tree(&mut self, prefix: Vec<String>, line: usize) {
        let top = prefix.is_empty();
        let mut path = prefix;
        if top && self.tok(0) == Some(&Tok::Sep) {
            // `use ::name` is always an external crate; `modules` never resolves `::`.
            path.push("::".to_owned());
            self.pos += 1;
        }
        loop {
            match self.tok(0).cloned() {
                Some(Tok::Ident(name)) => {
                    path.push(name);
                    self.pos += 1;
                    if self.tok(0) == Some(&Tok::Sep) {
                        self.pos += 1;
                        continue;
                    }
                    self.use_leaf(path, line);
                }
                Some(Tok::Punct('*')) => {
                    self.pos += 1;
                    self.push(line, ItemKind::Glob { path });
                }
                Some(Tok::Punct('{')) => {
                    self.pos += 1;
                    while self.tok(0).is_some() && !self.is(0, '}') {
                        let line = self.line();
                        self.use_tree(path.clone(), line);
                        if self.is(0, ',') {
                            self.pos += 1;
                        }
                    }
                    self.pos += 1;
                }
                _ => {}
            }
            break;
        }
        if top {
            // Skip to the `;`, so a malformed tree cannot run into the next item.
            while self.tok(0).is_some_and(|t| *t != Tok::Punct(';')) {
                self.pos += 1;
            }
        }
    }

    fn use_leaf(&mut self, mut path: Vec<String>, line: usize) {
        // `a::{self}` imports `a` itself.
        if path.len() > 1 && path.last().is_some_and(|s| s == "self") {
            path.pop();
        }
        let mut binding = path.last().cloned();
        if self.ident(0) == Some("as") {
            binding = self.ident(1).filter(|name| *name != "_").map(str::to_owned);
            self.pos += if self.ident(1).is_some() { 2 } else { 1 };
        }
        self.push(line, ItemKind::Import { binding, path });
    }
}
