//! The gateway writes only authentication state, and only through `store::auth`: its own
//! sources hold no insert, update, delete or raw SQL statement, except the cache listener's
//! `LISTEN` and its `SELECT 1` keep-alive, which change nothing.

use std::path::{Path, PathBuf};

/// What a write through diesel looks like in source (`update` and `delete` count only
/// qualified; a `use diesel::{update, ..}` is flagged on its own).
const WRITES: &[&str] = &[
    "insert_into(",
    "diesel::update(",
    "diesel::delete(",
    "sql_query(",
    "batch_execute(",
];

/// Statements the gateway may send itself, by file: they read or listen, never write.
const ALLOWED: &[(&str, &str)] = &[
    ("cache/listener.rs", "sql_query(format!(\"LISTEN"),
    ("cache/listener.rs", "sql_query(\"SELECT 1\")"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads the source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each line of the gateway's sources that writes to the database itself.
pub fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(src)
            .expect("below src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).expect("reads a source file");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let compact: String = code.split_whitespace().collect::<Vec<_>>().join("");
            let imports_writes = compact.starts_with("usediesel::")
                && ["update", "delete", "insert_into", "sql_query"]
                    .iter()
                    .any(|w| contains_call(&compact, w));
            let writes = imports_writes || WRITES.iter().any(|w| contains_call(&compact, w));
            let allowed = ALLOWED
                .iter()
                .any(|(f, s)| *f == relative && compact.contains(&s.replace(' ', "")));
            if writes && !allowed {
                problems.push(format!("auth-gateway/src/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    problems
}

/// `call` appears on its own, not as the tail of a longer name (`last_update(`).
fn contains_call(code: &str, call: &str) -> bool {
    code.match_indices(call).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}
