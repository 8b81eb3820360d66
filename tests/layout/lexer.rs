//! A small Rust tokenizer for the module-cycle check: just enough to see `mod`, `use` and
//! paths, with comments, string literals, char literals and lifetimes out of the way (a
//! `"crate::a"` in a string or a `// super::b` in a comment is not an import).

/// What the parser needs to tell apart; everything else is `Punct` or `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An identifier or keyword; raw identifiers lose their `r#`.
    Ident(String),
    /// A string literal's text as written (escapes not decoded): only `#[path = "..."]` reads it.
    Str(String),
    /// `::`
    Sep,
    Punct(char),
    /// Numbers, char literals, lifetimes and labels.
    Other,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

pub fn tokenize(src: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: src.chars().collect(),
        pos: 0,
        line: 1,
        out: Vec::new(),
    };
    lexer.run();
    lexer.out
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    out: Vec<Token>,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn push(&mut self, tok: Tok, line: usize) {
        self.out.push(Token { tok, line });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let line = self.line;
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                '/' if self.peek(1) == Some('/') => self.skip_line(),
                '/' if self.peek(1) == Some('*') => self.skip_block_comment(),
                '"' => {
                    self.bump();
                    let text = self.quoted();
                    self.push(Tok::Str(text), line);
                }
                '\'' => self.char_or_lifetime(),
                ':' if self.peek(1) == Some(':') => {
                    self.pos += 2;
                    self.push(Tok::Sep, line);
                }
                c if c.is_ascii_digit() => {
                    self.word();
                    self.push(Tok::Other, line);
                }
                c if is_ident_start(c) => self.ident_or_prefixed_literal(),
                c => {
                    self.bump();
                    self.push(Tok::Punct(c), line);
                }
            }
        }
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek(0).filter(|&c| is_ident_continue(c)) {
            word.push(c);
            self.pos += 1;
        }
        word
    }

    fn skip_line(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.pos += 1;
        }
    }

    /// Block comments nest in Rust: `/* a /* b */ still a comment */`.
    fn skip_block_comment(&mut self) {
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (None, _) => return,
                (Some('/'), Some('*')) => {
                    self.pos += 2;
                    depth += 1;
                }
                (Some('*'), Some('/')) => {
                    self.pos += 2;
                    depth -= 1;
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Called after the opening `"`: reads up to and past the closing one.
    fn quoted(&mut self) -> String {
        let mut text = String::new();
        while let Some(c) = self.bump() {
            match c {
                '"' => break,
                '\\' => {
                    text.push(c);
                    text.extend(self.bump());
                }
                c => text.push(c),
            }
        }
        text
    }

    /// Called at the `#`s or `"` after `r`, `br` or `cr`: `r##"..."##` ends only at a quote
    /// followed by as many hashes, so a `"` or `"#` inside does not end it.
    fn raw_string(&mut self, hashes: usize) -> String {
        self.pos += hashes + 1;
        let mut text = String::new();
        while let Some(c) = self.bump() {
            if c == '"' && (0..hashes).all(|i| self.peek(i) == Some('#')) {
                self.pos += hashes;
                break;
            }
            text.push(c);
        }
        text
    }

    /// `'\n'`, `'\''` and `'a'` are char literals; `'a` and `'static` are lifetimes or labels.
    /// Telling them apart matters: taking `'a` for an opening quote would swallow code.
    fn char_or_lifetime(&mut self) {
        let line = self.line;
        self.bump();
        if self.peek(0) == Some('\\') {
            self.pos += 2;
            while let Some(c) = self.bump() {
                if c == '\'' {
                    break;
                }
            }
        } else if self.peek(1) == Some('\'') {
            self.bump();
            self.bump();
        } else {
            self.word();
        }
        self.push(Tok::Other, line);
    }

    fn ident_or_prefixed_literal(&mut self) {
        let line = self.line;
        let word = self.word();
        match (word.as_str(), self.peek(0)) {
            ("b" | "c", Some('"')) => {
                self.bump();
                let text = self.quoted();
                self.push(Tok::Str(text), line);
            }
            ("b", Some('\'')) => self.char_or_lifetime(),
            ("r" | "br" | "cr", Some('"' | '#')) => {
                let hashes = (0..).take_while(|&i| self.peek(i) == Some('#')).count();
                if self.peek(hashes) == Some('"') {
                    let text = self.raw_string(hashes);
                    self.push(Tok::Str(text), line);
                } else if word == "r" && hashes == 1 && self.peek(1).is_some_and(is_ident_start) {
                    // A raw identifier such as `r#type`.
                    self.pos += 1;
                    let ident = self.word();
                    self.push(Tok::Ident(ident), line);
                } else {
                    self.push(Tok::Ident(word), line);
                }
            }
            _ => self.push(Tok::Ident(word), line),
        }
    }
}
