//! Tests of the registry: loading, validation and the checks at each request.

use super::*;

fn shop(secret: &str) -> Client {
    Client {
        id: "secutix-shop".into(),
        name: "S-360 ticket shop".into(),
        kind: ClientKind::Confidential,
        secret_hashes: vec![hash_secret(secret)],
        redirect_uris: vec!["https://shop.example.org/cas/login?client_name=IDP".into()],
        post_logout_redirect_uris: vec![],
        ..Default::default()
    }
}

#[test]
fn a_staff_client_must_be_confidential() {
    let staff = |kind, secret_hashes| ClientRegistry {
        clients: vec![Client {
            id: "support-console".into(),
            name: "Support console".into(),
            kind,
            secret_hashes,
            redirect_uris: vec!["https://support.example.org/callback".into()],
            staff: true,
            ..Default::default()
        }],
    };
    assert!(
        staff(ClientKind::Confidential, vec![hash_secret("s")])
            .validate()
            .is_ok()
    );
    let refused = staff(ClientKind::Public, vec![])
        .validate()
        .expect_err("a public staff client");
    assert!(
        refused.to_string().contains("a staff client must be confidential"),
        "{refused}"
    );
}

#[test]
fn secrets_match_in_constant_time_against_every_stored_digest() {
    let mut client = shop("first-secret");
    assert!(client.authenticate("first-secret"));
    assert!(!client.authenticate("first-secre"));
    assert!(!client.authenticate(""));
    client.secret_hashes.insert(0, hash_secret("second-secret"));
    assert!(
        client.authenticate("second-secret") && client.authenticate("first-secret"),
        "both during a rotation"
    );
}

#[test]
fn redirect_uris_match_exactly() {
    let client = shop("s");
    assert!(client.allows_redirect("https://shop.example.org/cas/login?client_name=IDP"));
    for near_miss in [
        "https://shop.example.org/cas/login?client_name=IDP&x=1",
        "https://shop.example.org/cas/login?client_name=idp",
        "https://shop.example.org/cas/login",
        "https://shop.example.org.evil.example/cas/login?client_name=IDP",
        "http://shop.example.org/cas/login?client_name=IDP",
        "https://shop.example.org/cas/login/../login?client_name=IDP",
    ] {
        assert!(!client.allows_redirect(near_miss), "{near_miss}");
    }
}

#[test]
fn invalid_registries_are_refused_naming_the_client() {
    type Mutation = Box<dyn Fn(&mut Client)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "a confidential client needs a secret",
            Box::new(|c| c.secret_hashes.clear()),
        ),
        (
            "secret hashes must be",
            Box::new(|c| c.secret_hashes = vec!["plain-secret".into()]),
        ),
        ("at least one redirect URI", Box::new(|c| c.redirect_uris.clear())),
        (
            "must not have a fragment",
            Box::new(|c| c.redirect_uris = vec!["https://a.example/#x".into()]),
        ),
        (
            "must be https",
            Box::new(|c| c.redirect_uris = vec!["http://shop.example.org/cb".into()]),
        ),
        (
            "not an absolute URL",
            Box::new(|c| c.redirect_uris = vec!["/callback".into()]),
        ),
        (
            "a public client has no secret",
            Box::new(|c| c.kind = ClientKind::Public),
        ),
        ("id must be", Box::new(|c| c.id = "shop id".into())),
    ];
    for (expected, mutate) in cases {
        let mut client = shop("s");
        mutate(&mut client);
        let error = ClientRegistry { clients: vec![client] }
            .validate()
            .expect_err(expected)
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
    let twice = ClientRegistry {
        clients: vec![shop("a"), shop("b")],
    }
    .validate()
    .expect_err("duplicate");
    assert!(twice.to_string().contains("registered twice"));
    let mut local = shop("s");
    local.redirect_uris = vec!["http://127.0.0.1:3000/callback".into()];
    assert!(
        ClientRegistry { clients: vec![local] }.validate().is_ok(),
        "http on loopback for development"
    );
}
