//! A real SMTP server for the mail tests: aiosmtpd (Python) storing every message it receives
//! in a maildir of the test's own, stopped when dropped.

use std::{path::PathBuf, time::Duration};

pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    _child: tokio::process::Child,
}

impl SmtpServer {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("smtp-{}", uuid::Uuid::new_v4().simple()));
        let child = tokio::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&dir)
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts (scripts/test-deps.sh installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Self {
                    port,
                    dir,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP server did not start");
    }

    /// The maildir the messages are stored in (`new/` holds them).
    pub fn maildir(&self) -> &std::path::Path {
        &self.dir
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|raw| decode_quoted_printable(&raw))
            .collect()
    }
}

/// Undoes quoted-printable encoding: soft line breaks and `=XX` escapes (RFC 2045 §6.7).
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| u8::from_str_radix(&joined[i + 1..i + 3], 16).ok())
            .flatten();
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
