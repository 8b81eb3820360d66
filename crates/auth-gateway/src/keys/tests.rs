//! Key set tests: JWKS content (SECURITY-CHECKLIST items 9 and 10), rotation states, and
//! manifests that must be refused.

use super::*;

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("gateway-keys-{}", uuid::Uuid::new_v4().simple()));
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn development_manifest(dir: &TempDir) -> KeyManifest {
    let path = generate_development_keys(&dir.0).expect("keys generated");
    KeyManifest::read_file(&path).expect("manifest readable")
}

#[test]
fn development_keys_are_generated_once_and_load() {
    let dir = TempDir::new();
    let first = development_manifest(&dir);
    let again = development_manifest(&dir);
    assert_eq!(
        first.keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
        again.keys.iter().map(|k| &k.kid).collect::<Vec<_>>()
    );
    let set = KeySet::from_manifest(&first).expect("valid key set");
    assert_eq!(set.signing_algorithms(), vec![Algorithm::RS256, Algorithm::ES256]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join("keys.toml"))
            .expect("manifest")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private key material is readable by its owner only");
    }
}

#[test]
fn development_keys_seal_and_an_earlier_manifest_without_a_sealing_key_gets_one() {
    let dir = TempDir::new();
    let first = development_manifest(&dir);
    let set = KeySet::from_manifest(&first).expect("valid key set");
    assert!(set.sealer().can_seal());
    let sealed = set.sealer().seal("test", b"x").expect("sealed");
    // As an earlier release wrote it: signing keys only.
    let path = dir.0.join("keys.toml");
    let signing_only = KeyManifest {
        keys: first
            .keys
            .iter()
            .map(|k| ManifestKey {
                pem: String::new(),
                ..k.clone()
            })
            .collect(),
        ..KeyManifest::default()
    };
    std::fs::remove_file(&path).expect("removed");
    std::fs::write(&path, toml::to_string(&signing_only).expect("toml")).expect("written");
    let again = development_manifest(&dir);
    assert_eq!(again.keys.len(), first.keys.len());
    let set = KeySet::from_manifest(&again).expect("valid key set");
    assert!(set.sealer().can_seal(), "a sealing key was added");
    assert_eq!(set.sealer().open("test", &sealed), None, "a new key, not the old one");
}

#[test]
fn the_jwks_publishes_public_members_only() {
    let dir = TempDir::new();
    let set = KeySet::from_manifest(&development_manifest(&dir)).expect("valid key set");
    let jwks = set.jwks();
    let keys = jwks["keys"].as_array().expect("keys array");
    assert_eq!(keys.len(), 2);
    let mut kids = std::collections::HashSet::new();
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "private member {private} published: {key}");
        }
        assert_eq!(key["use"], "sig");
        assert!(
            kids.insert(key["kid"].as_str().expect("kid").to_owned()),
            "kids are unique"
        );
        match key["alg"].as_str() {
            Some("RS256") => {
                assert!(key["n"].is_string() && key["e"] == "AQAB" && key["kty"] == "RSA")
            }
            Some("ES256") => {
                assert!(key["x"].is_string() && key["y"].is_string() && key["crv"] == "P-256")
            }
            other => panic!("unexpected alg {other:?}"),
        }
    }
}

#[test]
fn a_published_key_verifies_but_never_signs() {
    let dir = TempDir::new();
    let mut manifest = development_manifest(&dir);
    // A second RS256 key, published ahead of its rotation.
    let other = TempDir::new();
    let mut next = development_manifest(&other).keys.remove(0);
    next.kid = "next-rs".into();
    next.state = KeyState::Published;
    manifest.keys.push(next);
    let set = KeySet::from_manifest(&manifest).expect("valid key set");
    assert_eq!(
        set.jwks()["keys"].as_array().map(Vec::len),
        Some(3),
        "published before it signs"
    );
    let signer = set.signer(Algorithm::RS256).expect("an active RS256 key");
    assert_ne!(signer.kid, "next-rs");
    let published = set.verifier("next-rs").expect("verifiable by kid");
    assert_eq!(published.alg, Algorithm::RS256);
    assert!(set.verifier("unknown").is_none());
}

#[test]
fn invalid_manifests_are_refused_naming_the_key() {
    let dir = TempDir::new();
    let valid = development_manifest(&dir);
    let rsa = valid.keys.iter().find(|k| k.alg == "RS256").expect("rsa").clone();
    let ec = valid.keys.iter().find(|k| k.alg == "ES256").expect("ec").clone();

    let mut twice_active = valid.clone();
    let mut second = rsa.clone();
    second.kid = "second".into();
    twice_active.keys.push(second);
    let error = KeySet::from_manifest(&twice_active)
        .expect_err("two active RS256 keys")
        .to_string();
    assert!(error.contains("2 keys are active for RS256"), "{error}");

    let mut wrong_alg = ec.clone();
    wrong_alg.alg = "RS256".into();
    let error = KeySet::from_manifest(&KeyManifest {
        keys: vec![wrong_alg],
        ..KeyManifest::default()
    })
    .expect_err("EC key as RS256")
    .to_string();
    assert!(error.starts_with(&format!("key {}:", ec.kid)), "{error}");
    assert!(!error.contains("PRIVATE KEY"), "key material is never echoed: {error}");

    let mut hmac = rsa.clone();
    hmac.alg = "HS256".into();
    assert!(
        KeySet::from_manifest(&KeyManifest {
            keys: vec![hmac],
            ..KeyManifest::default()
        })
        .is_err(),
        "no symmetric keys"
    );

    let mut bad_kid = rsa.clone();
    bad_kid.kid = "../../etc/passwd".into();
    assert!(
        KeySet::from_manifest(&KeyManifest {
            keys: vec![bad_kid],
            ..KeyManifest::default()
        })
        .is_err()
    );

    let mut duplicate = ec.clone();
    duplicate.kid = rsa.kid.clone();
    duplicate.state = KeyState::Published;
    assert!(
        KeySet::from_manifest(&KeyManifest {
            keys: vec![rsa.clone(), duplicate],
            ..KeyManifest::default()
        })
        .is_err()
    );

    assert!(
        KeyManifest::parse(
            "[[keys]]\nkid = \"a\"\nalg = \"RS256\"\nstate = \"active\"\nsecret = 1\n",
            None
        )
        .is_err()
    );
    assert!(
        KeyManifest::parse("[[keys]]\nkid = \"a\"\nalg = \"RS256\"\nstate = \"active\"\n", None).is_err(),
        "no key material"
    );
}
