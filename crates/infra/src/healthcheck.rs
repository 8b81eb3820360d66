//! The `healthcheck` subcommand every binary has, for container health checks without curl:
//! it asks the running service's `/healthz` on the local listener and exits 0 on a 200.

use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream},
    process::ExitCode,
    time::Duration,
};

const TIMEOUT: Duration = Duration::from_secs(3);

/// Probes `GET /healthz` on the service listening at `listen_addr` (a wildcard address is
/// reached through loopback) and reports the outcome as an exit code.
pub fn run(listen_addr: SocketAddr) -> ExitCode {
    match probe(listen_addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            ExitCode::FAILURE
        }
    }
}

fn probe(listen_addr: SocketAddr) -> Result<(), String> {
    let ip = match listen_addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let target = SocketAddr::new(ip, listen_addr.port());
    let mut stream = TcpStream::connect_timeout(&target, TIMEOUT).map_err(|e| format!("{target}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(|e| e.to_string())?;
    // "HTTP/1.1 200"
    if &head[9..12] == b"200" {
        Ok(())
    } else {
        Err(format!("/healthz answered {}", String::from_utf8_lossy(&head[9..12])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_when_nothing_listens() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = free.local_addr().expect("addr");
        drop(free);
        assert_eq!(run(addr), ExitCode::FAILURE);
    }

    #[test]
    fn succeeds_on_a_200_and_fails_otherwise() {
        for (answer, expected) in [
            ("HTTP/1.1 200 OK\r\n\r\n", ExitCode::SUCCESS),
            ("HTTP/1.1 503 Service Unavailable\r\n\r\n", ExitCode::FAILURE),
        ] {
            let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
            let port = listener.local_addr().expect("addr").port();
            let server = std::thread::spawn(move || {
                let (mut conn, _) = listener.accept().expect("accept");
                let mut request = [0u8; 256];
                let _ = conn.read(&mut request);
                conn.write_all(answer.as_bytes()).expect("write");
            });
            assert_eq!(run(SocketAddr::from(([0, 0, 0, 0], port))), expected, "{answer}");
            server.join().expect("server thread");
        }
    }
}
