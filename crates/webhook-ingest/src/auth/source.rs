//! The source-address allow-list. Behind a trusted reverse proxy the client address is taken
//! from `X-Forwarded-For`, read from the right and skipping only trusted proxies, so a client
//! cannot forge its address by sending the header itself.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

use super::Unauthorized;

pub struct SourceFilter {
    allow: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
}

impl SourceFilter {
    pub fn new(allow: Vec<IpNet>, trusted_proxies: Vec<IpNet>) -> Self {
        Self { allow, trusted_proxies }
    }

    pub fn check(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Result<(), Unauthorized> {
        if self.allow.is_empty() {
            return Ok(());
        }
        let client = self.client_address(peer.ok_or(Unauthorized)?, headers);
        if self.allow.iter().any(|net| net.contains(&client)) {
            Ok(())
        } else {
            Err(Unauthorized)
        }
    }

    /// The first address, from the right, that is not a trusted proxy.
    fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            if !self.is_trusted(client) {
                break;
            }
            match hop.trim().parse::<IpAddr>() {
                Ok(address) => client = address,
                // An unparsable hop ends the chain: the proxy before it is the client.
                Err(_) => break,
            }
        }
        client
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&address))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn filter(allow: &[&str], proxies: &[&str]) -> SourceFilter {
        let nets = |list: &[&str]| list.iter().map(|s| s.parse().expect("cidr")).collect();
        SourceFilter::new(nets(allow), nets(proxies))
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn without_an_allow_list_every_address_passes() {
        assert!(filter(&[], &[]).check(ip("198.51.100.7"), &HeaderMap::new()).is_ok());
    }

    #[test]
    fn checks_the_peer_address_directly() {
        let f = filter(&["203.0.113.0/24"], &[]);
        assert!(f.check(ip("203.0.113.9"), &HeaderMap::new()).is_ok());
        assert!(f.check(ip("198.51.100.7"), &HeaderMap::new()).is_err());
        assert!(f.check(None, &HeaderMap::new()).is_err());
    }

    #[test]
    fn believes_forwarded_for_only_from_trusted_proxies() {
        let f = filter(&["203.0.113.0/24"], &["10.0.0.0/8"]);
        assert!(f.check(ip("10.1.2.3"), &forwarded("203.0.113.9")).is_ok());
        assert!(f.check(ip("10.1.2.3"), &forwarded("198.51.100.7")).is_err());
        // An untrusted peer cannot claim an allowed address.
        assert!(f.check(ip("198.51.100.7"), &forwarded("203.0.113.9")).is_err());
        // A client-supplied left-most entry is ignored: the right-most untrusted hop counts.
        assert!(
            f.check(ip("10.1.2.3"), &forwarded("203.0.113.9, 198.51.100.7"))
                .is_err()
        );
        assert!(
            f.check(ip("10.1.2.3"), &forwarded("198.51.100.7, 203.0.113.9, 10.9.9.9"))
                .is_ok()
        );
        assert!(
            f.check(ip("10.1.2.3"), &forwarded("garbage")).is_err(),
            "the proxy itself is not allowed"
        );
    }
}
