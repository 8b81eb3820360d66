//! Passkeys end to end in Chromium with the DevTools protocol's virtual authenticator
//! (`tests/browser/passkeys.mjs`) against the real gateway and PostgreSQL: a fan offered a
//! passkey after a password sign-in enrols one on `/profile/passkeys`, signs out, and signs in
//! at the shop's authorization request with the button and then with the e-mail field's
//! autofill, the shop's ID token saying `amr: ["hwk","user"]`; and each attack is tried and
//! refused: a cloned authenticator (its counter going backwards), a removed passkey, an
//! assertion replayed with its challenge cookie, and (from a software passkey, since a browser
//! will not send one) an assertion without user verification. The browser reaches the gateway at
//! `localhost` (WebAuthn refuses IP addresses as relying-party ids), the relying party
//! configured for it.

use std::time::Duration;

use serde_json::Value;
use tests::sim::free_port;

use crate::gateway_support::*;

const JEAN: &str = "jean.dupont@example.org";

/// A gateway whose relying party is `localhost` on its port; its base URL as the browser
/// reaches it.
pub async fn passkey_setup() -> (Setup, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let origin = format!("http://localhost:{port}");
    let s = setup_with(&[
        "--listen-addr",
        &listen,
        "--passkey-rp-id",
        "localhost",
        "--passkey-rp-origins",
        &origin,
    ])
    .await;
    (s, origin)
}

/// Runs `passkeys.mjs` and returns its report; with `only_first`, it stops after the first
/// passkey sign-in.
async fn browse(base: &str, authorize: &str, only_first: bool) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/passkeys.mjs");
    let shots = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots");
    let run = tokio::process::Command::new("node")
        .args([script, base, authorize, JEAN, PASSWORD, REDIRECT])
        .env("SCREENSHOTS", shots)
        .env("ONLY_FIRST_SIGN_IN", if only_first { "1" } else { "" })
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("Chromium finishes within 3 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no report: {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    assert!(report.get("error").is_none(), "the browser journey failed: {report:#}");
    report
}

/// The ID token the shop gets for the authorization code in the URL it was sent to.
async fn shop_claims(s: &Setup, landed: &Value) -> Value {
    let landed = url::Url::parse(landed.as_str().expect("landed at the shop")).expect("url");
    assert!(landed.as_str().starts_with(REDIRECT), "{landed}");
    let code = landed
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let (status, tokens) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    verify_id_token(s, tokens["id_token"].as_str().expect("id token")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_enrols_a_passkey_and_signs_in_with_it_at_the_shop_and_every_attack_is_refused() {
    let (s, base) = passkey_setup().await;
    let authorize = authorize_url(&base, "shop", REDIRECT, &[]);
    let seen = browse(&base, &authorize, false).await;

    // The sign-in page offers passkeys without an address typed.
    assert_eq!(seen["signInPage"]["autocomplete"], "username webauthn", "{seen:#}");
    assert_eq!(seen["signInPage"]["buttonVisible"], true);
    // Offered after the password sign-in; enrolled, discoverable, named.
    assert_eq!(seen["offered"], true, "{seen:#}");
    assert!(
        seen["emptyList"].as_str().is_some_and(|t| t.contains("no passkey yet")),
        "{seen:#}"
    );
    assert_eq!(seen["enrolled"], serde_json::json!(["My laptop"]));
    assert_eq!(seen["credentials"][0]["isResidentCredential"], true);
    // With the button, then with autofill: at the shop, and its ID token says how.
    for how in ["button", "conditional"] {
        let claims = shop_claims(&s, &seen[how]).await;
        assert_eq!(claims["sub"], s.subject.to_string(), "{how}");
        assert_eq!(
            claims["amr"],
            serde_json::json!(["hwk", "user"]),
            "RFC 8176: a hardware-bound key and the user's verification ({how})"
        );
    }

    // A cloned authenticator (counter back at 0) is refused; the genuine one still signs in.
    assert_eq!(seen["clone"]["status"], 401, "{seen:#}");
    assert!(
        seen["clone"]["alert"]
            .as_str()
            .is_some_and(|a| a.contains("did not work")),
        "{seen:#}"
    );
    assert!(
        seen["genuineAfterClone"]
            .as_str()
            .is_some_and(|u| u.ends_with("/profile/passkeys"))
    );
    // A removed passkey is refused.
    assert!(
        seen["afterRemoval"]
            .as_str()
            .is_some_and(|t| t.contains("no passkey yet")),
        "{seen:#}"
    );
    assert_eq!(seen["removed"]["status"], 401, "{seen:#}");
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM passkeys").await,
        0,
        "removed from the database"
    );
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM sessions WHERE auth_method = 'hwk'")
            .await,
        3,
        "three passkey sign-ins, no more"
    );
    assert!(
        s.db.count("SELECT count(*) AS n FROM passkey_ceremonies_spent").await >= 5,
        "each ceremony answered is spent: an enrolment and the sign-ins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_passkey_sign_in_is_refused_even_without_a_counter() {
    let (s, base) = passkey_setup().await;
    let authorize = authorize_url(&base, "shop", REDIRECT, &[]);
    let seen = browse(&base, &authorize, true).await;
    shop_claims(&s, &seen["button"]).await;
    let hwk = "SELECT count(*) AS n FROM sessions WHERE auth_method = 'hwk'";
    assert_eq!(s.db.count(hwk).await, 1);
    // As a synced passkey's authenticator, which keeps no counter: only the challenge being
    // single-use stands between a captured sign-in and its replay.
    s.db.execute("UPDATE passkeys SET sign_count = 0, credential = jsonb_set(credential, '{cred,counter}', '0')")
        .await;
    let captured = &seen["replayable"];
    let body = captured["body"].as_str().expect("the sign-in's body").to_owned();
    let challenge = captured["cookie"]
        .as_str()
        .and_then(|c| c.split("; ").find(|c| c.starts_with("__Host-passkey-challenge=")))
        .expect("the challenge cookie it was sent with")
        .to_owned();
    let answer = s
        .client
        .post(format!("{}/login/passkey", s.gateway.base_url))
        .header("cookie", challenge)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 401);
    assert!(cookie(&answer, "__Host-session").is_none(), "nobody is signed in");
    let problem: Value = answer.json().await.expect("json");
    assert_eq!(problem["error"], "refused", "{problem}");
    assert!(problem["message"].is_string());
    assert_eq!(s.db.count(hwk).await, 1, "no second session");

    // The fan's data export lists the passkey (its name and dates, not its key).
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let export: Value = s
        .client
        .get(format!("{}/account/export", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(export["passkeys"][0]["name"], "My laptop", "{export:#}");
    assert_eq!(export["passkeys"][0]["synced"], false);
    assert!(export["passkeys"][0].get("credential").is_none());
}

/// One passkey sign-in as the page's script does it, from `device`: the options (and the
/// challenge cookie), then the assertion.
async fn sign_in_with(s: &Setup, device: &mut bench::passkey_authenticator::SoftPasskey) -> reqwest::Response {
    sign_in_across(&s.client, &s.gateway.base_url, &s.gateway.base_url, device).await
}

/// [`sign_in_with`], the options asked of the gateway at `started`, the answer sent to the one
/// at `answered` (two replicas behind one load balancer).
async fn sign_in_across(
    client: &reqwest::Client,
    started: &str,
    answered: &str,
    device: &mut bench::passkey_authenticator::SoftPasskey,
) -> reqwest::Response {
    let options = client
        .post(format!("{started}/login/passkey/options"))
        .json(&serde_json::json!({ "return_to": "/" }))
        .send()
        .await
        .expect("answers");
    assert_eq!(options.status(), 200);
    let challenge_cookie = cookie(&options, "__Host-passkey-challenge").expect("a challenge cookie");
    let options: Value = options.json().await.expect("json");
    assert_eq!(options["publicKey"]["userVerification"], "required", "{options}");
    let challenge = options["publicKey"]["challenge"].as_str().expect("a challenge");
    client
        .post(format!("{answered}/login/passkey"))
        .header(
            "cookie",
            format!("__Host-passkey-challenge={}", cookie_value(&challenge_cookie)),
        )
        .json(&device.assert(challenge).expect("signed"))
        .send()
        .await
        .expect("answers")
}

/// A software authenticator for the gateway at `origin` whose passkey, named `name`, is
/// enrolled for the setup's fan (written straight into `passkeys`).
async fn enrolled_soft_passkey(s: &Setup, origin: &str, name: &str) -> bench::passkey_authenticator::SoftPasskey {
    let device = bench::passkey_authenticator::SoftPasskey::for_relying_party(s.subject, "localhost", origin)
        .expect("a key pair");
    let id: String = device.credential_id.iter().map(|b| format!("{b:02x}")).collect();
    s.db.execute(&format!(
        "INSERT INTO passkeys (id, subject_id, credential_id, name, credential, backup_eligible, backup_state) \
         VALUES (gen_random_uuid(), '{}', '\\x{id}', '{name}', '{}', false, false)",
        s.subject,
        device.stored()
    ))
    .await;
    device
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_without_user_verification_is_refused() {
    let (s, origin) = passkey_setup().await;
    let mut device = enrolled_soft_passkey(&s, &origin, "Security key").await;
    // Only present, not verified (no PIN or biometric): refused.
    device.user_verified = false;
    let answer = sign_in_with(&s, &mut device).await;
    assert_eq!(answer.status(), 401);
    assert!(cookie(&answer, "__Host-session").is_none(), "nobody is signed in");
    // The same passkey, verified: signed in.
    device.user_verified = true;
    let answer = sign_in_with(&s, &mut device).await;
    assert_eq!(answer.status(), 200);
    assert!(cookie(&answer, "__Host-session").is_some(), "a session");
    let next: Value = answer.json().await.expect("json");
    assert_eq!(next["redirect"], "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_of_a_contact_merged_away_no_longer_signs_in() {
    let (s, origin) = passkey_setup().await;
    let mut device = enrolled_soft_passkey(&s, &origin, "Phone").await;
    assert_eq!(
        sign_in_with(&s, &mut device).await.status(),
        200,
        "signs in while active"
    );
    // The support console's sign-in history shows it.
    let history = "SELECT count(*) AS n FROM sign_in_audit WHERE outcome = 'success'";
    tests::eventually(Duration::from_secs(10), "the sign-in in the history", || async {
        (s.db.count(history).await == 1).then_some(())
    })
    .await;
    let counter = "SELECT sign_count AS n FROM passkeys";
    let before = s.db.count(counter).await;
    assert!(before > 0, "the counter was recorded");

    // S-360 merged the fan's contact into another: the passkey, still valid, opens nothing.
    s.db.execute("UPDATE contacts SET state = 'merged', head_contact_number = '0009999999'")
        .await;
    let answer = sign_in_with(&s, &mut device).await;
    assert_eq!(answer.status(), 401);
    assert!(cookie(&answer, "__Host-session").is_none(), "nobody is signed in");
    let problem: Value = answer.json().await.expect("json");
    assert_eq!(problem["error"], "refused", "{problem}");
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM sessions").await,
        1,
        "only the sign-in before the merge"
    );
    assert_eq!(s.db.count(counter).await, before, "the refused sign-in wrote nothing");
    assert_eq!(s.db.count(history).await, 1, "and is not a success in the history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ceremony_started_at_one_replica_is_answered_at_another_that_shares_its_keys() {
    let keys = std::env::temp_dir().join(format!("passkey-replicas-{}", uuid::Uuid::new_v4().simple()));
    let keys = keys.to_string_lossy().into_owned();
    let port = free_port();
    let (listen, origin) = (format!("127.0.0.1:{port}"), format!("http://localhost:{port}"));
    let relying_party = ["--passkey-rp-id", "localhost", "--passkey-rp-origins", &origin];
    let shared = [&["--dev-keys-dir", keys.as_str()][..], &relying_party[..]].concat();
    let s = setup_with(&[&["--listen-addr", listen.as_str()][..], &shared[..]].concat()).await;
    let replica = tests::services::spawn_gateway_with(&s.db.url, &shared).await;
    // A gateway configured with a key manifest of its own: another installation's key.
    let stranger = tests::services::spawn_gateway_with(&s.db.url, &relying_party).await;
    let mut device = enrolled_soft_passkey(&s, &origin, "Phone").await;

    let answer = sign_in_across(&s.client, &s.gateway.base_url, &replica.base_url, &mut device).await;
    assert_eq!(
        answer.status(),
        200,
        "the replica opens the ceremony the first gateway sealed"
    );
    assert!(cookie(&answer, "__Host-session").is_some(), "a session");
    let answer = sign_in_across(&s.client, &replica.base_url, &s.gateway.base_url, &mut device).await;
    assert_eq!(answer.status(), 200, "and the other way round");

    let answer = sign_in_across(&s.client, &s.gateway.base_url, &stranger.base_url, &mut device).await;
    assert_eq!(
        answer.status(),
        401,
        "a ceremony sealed under another key opens nothing"
    );
    assert!(cookie(&answer, "__Host-session").is_none(), "nobody is signed in");
    assert_eq!(s.db.count("SELECT count(*) AS n FROM sessions").await, 2);
    let _ = std::fs::remove_dir_all(&keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ids_of_expired_ceremonies_are_swept_and_the_live_ones_kept() {
    use store::auth::passkey_ceremonies;
    let db = tests::database::TestDatabase::create().await;
    let mut conn = db.pool.get().await.expect("connection");
    let started = |minutes_ago: i64| {
        let at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
        uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            at.timestamp() as u64,
            at.timestamp_subsec_nanos(),
        ))
    };
    let (expired, live) = (started(7), started(4));
    for id in [expired, live] {
        assert!(passkey_ceremonies::spend(&mut conn, id).await.expect("spent"));
    }
    assert!(
        !passkey_ceremonies::spend(&mut conn, live).await.expect("spent"),
        "once only"
    );
    let swept = passkey_ceremonies::sweep(&mut conn, chrono::Utc::now())
        .await
        .expect("swept");
    assert_eq!(swept, 1);
    assert!(
        !passkey_ceremonies::spend(&mut conn, live).await.expect("spent"),
        "a ceremony that may still be answered stays spent"
    );
    assert!(
        passkey_ceremonies::spend(&mut conn, expired).await.expect("spent"),
        "the expired one is gone"
    );
}
