//! A lean HTTP/1.1 client for benchmarks whose clients share the machine with the server they
//! measure: one kept-alive connection per client, a request written in one `write`, the
//! answer read into one buffer and parsed with `httparse`. It does what those benchmarks ask
//! (POST a body, send a cookie, read the status, `Set-Cookie` and a `Content-Length` body) and
//! nothing else: no redirects, no chunked bodies, no TLS. Every cycle it saves is left to the
//! server, which is what the benchmark measures.

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Headers an answer may carry at most.
const MAX_HEADERS: usize = 32;

/// One kept-alive connection to `host:port`.
pub struct Connection {
    stream: TcpStream,
    host: String,
    buffer: Vec<u8>,
}

/// An answer: its status, its `Set-Cookie` values and its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub set_cookies: Vec<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The `name=value` of the cookie starting with `prefix` (the attributes left out).
    pub fn cookie(&self, prefix: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(prefix))
            .and_then(|c| c.split(';').next())
    }
}

impl Connection {
    /// Connects to `base` (`http://host:port`).
    pub async fn open(base: &str) -> anyhow::Result<Self> {
        let host = base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("{base}: only http:// is spoken here"))?
            .trim_end_matches('/')
            .to_owned();
        let stream = TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            host,
            buffer: Vec::with_capacity(8 * 1024),
        })
    }

    /// `POST path` with a JSON `body` and, if given, a `Cookie` header.
    pub async fn post_json(&mut self, path: &str, cookie: Option<&str>, body: &[u8]) -> anyhow::Result<Answer> {
        let mut request = Vec::with_capacity(256 + body.len());
        request.extend_from_slice(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                self.host,
                body.len()
            )
            .as_bytes(),
        );
        if let Some(cookie) = cookie {
            request.extend_from_slice(format!("Cookie: {cookie}\r\n").as_bytes());
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
        self.stream.write_all(&request).await?;
        self.read_answer().await
    }

    /// Reads one whole answer; the connection is left ready for the next request.
    async fn read_answer(&mut self) -> anyhow::Result<Answer> {
        self.buffer.clear();
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head) = parsed.parse(&self.buffer)? {
                let status = parsed.code.unwrap_or_default();
                let mut length = None;
                let mut set_cookies = Vec::new();
                for header in parsed.headers.iter() {
                    if header.name.eq_ignore_ascii_case("content-length") {
                        length = Some(std::str::from_utf8(header.value)?.trim().parse::<usize>()?);
                    } else if header.name.eq_ignore_ascii_case("set-cookie") {
                        set_cookies.push(String::from_utf8_lossy(header.value).into_owned());
                    }
                }
                let length = length.ok_or_else(|| anyhow::anyhow!("an answer without Content-Length"))?;
                while self.buffer.len() < head + length {
                    self.fill().await?;
                }
                anyhow::ensure!(self.buffer.len() == head + length, "more bytes than one answer");
                return Ok(Answer {
                    status,
                    set_cookies,
                    body: self.buffer[head..].to_vec(),
                });
            }
            self.fill().await?;
        }
    }

    /// Appends what the socket has to the buffer; an error once the server closed it.
    async fn fill(&mut self) -> anyhow::Result<()> {
        self.buffer.reserve(4 * 1024);
        let read = self.stream.read_buf(&mut self.buffer).await?;
        anyhow::ensure!(read > 0, "the server closed the connection");
        Ok(())
    }
}
