//! Which URLs may use plain HTTP: those of this machine, for local development (the issuer,
//! redirect URIs). Loopback IP addresses, `localhost` and the `.localhost` names RFC 6761 §6.3
//! reserves for loopback (which browsers resolve so, and which a local container network can
//! alias to a service, so one URL works for the browser and for the containers).

/// True when the URL's host is a loopback address or a `localhost` name.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        let check = |u: &str| is_loopback(&url::Url::parse(u).expect("url"));
        assert!(check("http://127.0.0.1:8080"));
        assert!(check("http://127.0.0.2/"));
        assert!(check("http://[::1]:8080"));
        assert!(check("http://localhost:8080"));
        assert!(check("http://auth-gateway.localhost:8080"));
        assert!(!check("http://localhost.example.org"));
        assert!(!check("http://evil-localhost/"));
        assert!(!check("http://10.0.0.1/"));
    }
}
