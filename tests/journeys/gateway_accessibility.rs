//! Every gateway page a fan can meet passes axe-core in Chromium with no serious or critical
//! violation, in English, French and German (`tests/browser/accessibility.mjs`): sign-in (and
//! its error), forgotten password (and its confirmation, and the 429 page past the limit), the
//! reset form, the error page, the profile and account pages, the signed-out page and the busy
//! page (503) of a gateway whose sign-in queue is full, the sign-up form (and its errors and
//! "check your mailbox"), the verification page, the unconfirmed sign-in, the e-mail change
//! form (and its error) and its confirmation page, the e-mail code sign-in (the form asking
//! for the address and its error, the page to type the code and a wrong code, the mailed link
//! in another browser), the passkey button on the sign-in page (and its problem line) and the
//! passkey page with its list and form. The busy page's timed retry, a meta refresh, is the one waived rule (see
//! the script). With `SCREENSHOTS=<dir>` the script also writes the sign-in page at 1280 and
//! 360 px (`docs/screenshots/`).

use std::time::Duration;

use serde_json::Value;

use crate::gateway_support::*;

#[tokio::test]
async fn every_page_passes_axe_in_english_french_and_german() {
    let s = setup().await;
    // A gateway whose sign-in queue is always full answers every sign-in with the busy page.
    let busy = setup_with(&["--signin-queue", "0"]).await;
    // The e-mail code pages on a gateway of their own: their wrong codes count against the
    // source address, which the other pages' sign-ins share.
    let codes = setup().await;
    // Passkeys on a gateway whose relying party is localhost; Jean has one passkey listed.
    let (keys, passkey_base) = crate::gateway_passkeys::passkey_setup().await;
    keys.db
        .execute(&format!(
            "INSERT INTO passkeys (id, subject_id, credential_id, name, credential, backup_eligible, backup_state) \
             VALUES (gen_random_uuid(), '{}', '\\x01', 'My phone', '{{}}', true, true)",
            keys.subject
        ))
        .await;
    let token = "a-valid-token-for-the-accessibility-test-0123456789";
    s.db.execute(&format!(
        "INSERT INTO password_tokens (token_hash, subject_id, purpose, expires_at) \
         VALUES (sha256('{token}'::bytea), '{}', 'reset', now() + interval '1 hour')",
        s.subject
    ))
    .await;
    // A fan who signed up and has not confirmed the address yet (Jean's password), with a live
    // verification link; and an e-mail change of Jean's waiting for its link.
    s.db.execute(
        "INSERT INTO accounts (login_email, password_hash, origin, given_name, family_name, language) \
         SELECT 'pending.fan@example.net', password_hash, 'signup', 'Anna', 'Muster', 'de' FROM accounts",
    )
    .await;
    let verify = "a-valid-verification-token-for-the-accessibility-test";
    s.db.execute(&format!(
        "INSERT INTO password_tokens (token_hash, subject_id, purpose, expires_at) \
         SELECT sha256('{verify}'::bytea), subject_id, 'verify', now() + interval '1 hour' \
         FROM accounts WHERE login_email = 'pending.fan@example.net'"
    ))
    .await;
    let change = "a-valid-email-change-token-for-the-accessibility-test";
    s.db.execute(&format!(
        "UPDATE accounts SET pending_email = 'jean.new@example.net' WHERE subject_id = '{}'",
        s.subject
    ))
    .await;
    s.db.execute(&format!(
        "INSERT INTO password_tokens (token_hash, subject_id, purpose, expires_at) \
         VALUES (sha256('{change}'::bytea), '{}', 'email', now() + interval '1 hour')",
        s.subject
    ))
    .await;
    let input = serde_json::json!({
        "verify_url": format!("/signup/verify?token={verify}&return_to=%2Fprofile"),
        "email_url": format!("/account/email/verify?token={change}"),
        "pending_email": "pending.fan@example.net",
        "base": s.gateway.base_url,
        "email": "jean.dupont@example.org",
        "password": PASSWORD,
        "reset_url": format!("/password/reset?token={token}"),
        "busy_url": authorize_url(&busy.gateway.base_url, "shop", REDIRECT, &[]),
        "code_base": codes.gateway.base_url,
        "passkey_base": passkey_base,
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/accessibility.mjs");
    let run = tokio::process::Command::new("node")
        .args([script, &input.to_string()])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("the accessibility check finishes within 4 minutes")
        .expect("node runs the accessibility check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON report; stdout: {stdout}; stderr: {stderr}"));
    assert!(report["error"].is_null(), "the script failed: {}", report["error"]);
    let pages = report["pages"].as_array().expect("pages");
    // The profile page speaks the contact's language (Jean Dupont's is French), the others the
    // browser's.
    let seen = |name: &str, status: u64| {
        for lang in ["en", "fr", "de"] {
            let shown = if name == "profile" { "fr" } else { lang };
            assert!(
                pages.iter().any(|p| p["page"] == name
                    && p["lang"] == lang
                    && p["status"] == status
                    && p["html_lang"] == shown),
                "{name} ({status}) was checked in {lang}: {pages:#?}"
            );
        }
    };
    seen("sign-in", 200);
    seen("sign-in failed", 401);
    seen("sign-up", 200);
    seen("sign-up errors", 422);
    seen("sign-up sent", 200);
    seen("verify form", 200);
    seen("unverified", 403);
    seen("email confirm", 200);
    seen("email change", 200);
    seen("email change error", 422);
    seen("forgot", 200);
    seen("forgot sent", 200);
    seen("reset form", 200);
    seen("error", 400);
    seen("profile", 200);
    seen("account", 200);
    seen("signed out", 200);
    seen("busy 503", 503);
    seen("locked 429", 429);
    seen("code link elsewhere", 200);
    seen("code request", 200);
    seen("code request error", 422);
    seen("code sent", 200);
    seen("code wrong", 401);
    seen("passkey sign-in", 200);
    seen("passkey sign-in failed", 200);
    seen("passkeys", 200);
    seen("passkeys with the form", 200);
    for page in pages {
        eprintln!(
            "axe {} {} ({}): minor {}, waived {}",
            page["lang"], page["page"], page["status"], page["minor"], page["waived"]
        );
    }
    let failing: Vec<&Value> = pages
        .iter()
        .filter(|p| p["violations"] != serde_json::json!([]))
        .collect();
    // Only the busy page's timed retry is waived (see the script).
    for page in pages.iter().filter(|p| p["waived"] != serde_json::json!([])) {
        assert_eq!(page["page"], "busy 503", "{page:#?}");
        assert_eq!(page["waived"], serde_json::json!(["meta-refresh"]), "{page:#?}");
    }
    assert!(failing.is_empty(), "serious or critical axe violations: {failing:#?}");
    assert_eq!(report["ok"], true);
}
