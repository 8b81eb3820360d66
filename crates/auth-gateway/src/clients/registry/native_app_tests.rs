//! RFC 8252 redirects: private-use URI schemes and loopback ports.

use super::*;

fn app(redirect_uris: &[&str]) -> Client {
    Client {
        id: "fan-app".into(),
        name: "Fan app".into(),
        kind: ClientKind::Public,
        redirect_uris: redirect_uris.iter().map(|&u| u.to_owned()).collect(),
        ..Default::default()
    }
}

fn refusal(client: Client) -> String {
    ClientRegistry { clients: vec![client] }
        .validate()
        .expect_err("refused")
        .to_string()
}

#[test]
fn public_clients_register_reverse_domain_private_use_schemes() {
    let client = app(&["com.club.app:/callback", "com.secutix.tixngo:/oauth/club"]);
    ClientRegistry {
        clients: vec![client.clone()],
    }
    .validate()
    .expect("accepted");
    ClientRegistry {
        clients: vec![app(&["com.club.app://callback"])],
    }
    .validate()
    .expect("the double-slash spelling some SDKs use");
    assert!(client.allows_redirect("com.club.app:/callback"));
    for near_miss in [
        "com.club.app:/callback/",
        "com.club.app:/Callback",
        "com.club.app:/callback?x=1",
        "com.club.app://callback",
        "com.club.appx:/callback",
        "com.club:/callback",
    ] {
        assert!(!client.allows_redirect(near_miss), "{near_miss}");
    }
}

#[test]
fn private_use_schemes_need_a_dot_and_a_public_client() {
    let cases = [
        ("myapp:/callback", "must be a reverse domain name"),
        ("com..app:/callback", "must be a reverse domain name"),
        ("com.club+x:/callback", "must be a reverse domain name"),
        ("Com.Club.App:/callback", "lower case"),
        ("com.club.app:callback", "needs a path"),
        ("com.club.app:/callback#x", "must not have a fragment"),
    ];
    for (uri, expected) in cases {
        let error = refusal(app(&[uri]));
        assert!(error.contains(expected), "{uri}: {error}");
        assert!(
            error.starts_with("client fan-app: redirect_uris"),
            "names the client and the field: {error}"
        );
    }
    let mut confidential = app(&["com.club.app:/callback"]);
    confidential.kind = ClientKind::Confidential;
    confidential.secret_hashes = vec![hash_secret("s")];
    let error = refusal(confidential);
    assert!(error.contains("public clients (RFC 8252 §8.4)"), "{error}");
}

#[test]
fn script_content_and_file_schemes_are_never_redirects() {
    for uri in [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "blob:https://evil.example/1",
        "intent://scan/#Intent;scheme=zxing;end",
        "ftp://files.example.org/cb",
    ] {
        let error = refusal(app(&[uri]));
        assert!(error.contains("is never a redirect scheme"), "{uri}: {error}");
    }
}

#[test]
fn loopback_ip_redirects_without_a_port_match_any_port() {
    let client = app(&["http://127.0.0.1/cb", "http://[::1]/cb?app=1"]);
    ClientRegistry {
        clients: vec![client.clone()],
    }
    .validate()
    .expect("accepted");
    for allowed in [
        "http://127.0.0.1/cb",
        "http://127.0.0.1:51234/cb",
        "http://127.0.0.1:1/cb",
        "http://127.0.0.1:65535/cb",
        "http://[::1]:8080/cb?app=1",
    ] {
        assert!(client.allows_redirect(allowed), "{allowed}");
    }
    for refused in [
        "http://127.0.0.1:51234/cb/",
        "http://127.0.0.1:51234/cb?x=1",
        "http://127.0.0.1:51234/CB",
        "http://127.0.0.1:0/cb",
        "http://127.0.0.1:08080/cb",
        "http://127.0.0.1:65536/cb",
        "http://127.0.0.1:/cb",
        "http://127.0.0.1:8080@evil.example/cb",
        "http://127.0.0.1:8080.evil.example/cb",
        "http://127.0.0.1:8080/cb#x",
        "http://127.0.0.2:8080/cb",
        "https://127.0.0.1:8080/cb",
        "http://localhost:8080/cb",
        "http://[::1]:8080/cb?app=2",
        "http://[0:0:0:0:0:0:0:1]:8080/cb?app=1",
    ] {
        assert!(!client.allows_redirect(refused), "{refused}");
    }
}

#[test]
fn a_port_or_a_name_pins_the_loopback_redirect() {
    let client = app(&["http://127.0.0.1:3000/callback", "http://localhost/cb"]);
    assert!(client.allows_redirect("http://127.0.0.1:3000/callback"));
    assert!(
        !client.allows_redirect("http://127.0.0.1:3001/callback"),
        "a registered port is exact"
    );
    assert!(!client.allows_redirect("http://127.0.0.1/callback"));
    assert!(client.allows_redirect("http://localhost/cb"));
    assert!(
        !client.allows_redirect("http://localhost:8080/cb"),
        "RFC 8252 §8.3: not for localhost"
    );
}

#[test]
fn loopback_redirects_without_a_port_are_written_canonically() {
    for (uri, canonical) in [
        ("http://127.1/cb", "http://127.0.0.1/cb"),
        ("http://127.0.0.1:80/cb", "http://127.0.0.1/cb"),
        ("http://[0::1]/cb", "http://[::1]/cb"),
        ("http://127.0.0.1", "http://127.0.0.1/"),
    ] {
        let error = refusal(app(&[uri]));
        assert!(
            error.contains(&format!("must be written as {canonical}")),
            "{uri}: {error}"
        );
    }
}

#[test]
fn post_logout_redirects_follow_the_same_rules() {
    let mut client = app(&["com.club.app:/callback"]);
    client.post_logout_redirect_uris = vec!["com.club.app:/signed-out".into(), "http://127.0.0.1/bye".into()];
    ClientRegistry {
        clients: vec![client.clone()],
    }
    .validate()
    .expect("accepted");
    assert!(client.allows_post_logout_redirect("com.club.app:/signed-out"));
    assert!(client.allows_post_logout_redirect("http://127.0.0.1:40000/bye"));
    assert!(!client.allows_post_logout_redirect("http://127.0.0.1:40000/bye/"));
    client.post_logout_redirect_uris = vec!["myapp:/bye".into()];
    assert!(refusal(client).starts_with("client fan-app: post_logout_redirect_uris myapp:/bye:"));
}

#[test]
fn logout_channel_uris_stay_web_uris() {
    let mut client = app(&["com.club.app:/callback"]);
    client.frontchannel_logout_uri = Some("com.club.app:/logout".into());
    let error = refusal(client);
    assert!(
        error.contains("frontchannel_logout_uri") && error.contains("must be https"),
        "{error}"
    );
}
