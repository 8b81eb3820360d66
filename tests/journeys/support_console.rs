//! The support console end to end: a staff member signs in through the gateway (password and
//! TOTP on the staff page, the console as a staff OIDC client), finds the fan, lifts her lock,
//! revokes her sessions and sees it all in the audit log; the sign-in itself refuses fans, wrong
//! codes, replayed codes and silent requests, and a staff account is never a fan.

use reqwest::StatusCode;
use store::console::Role;

use crate::{
    gateway_support::{PASSWORD, REDIRECT, authorize_url, sign_in_as},
    support_console_support::*,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_finds_a_fan_lifts_her_lock_revokes_her_sessions_and_sees_it_audited() {
    let c = start().await;
    let staff = add_staff(&c, "ana@club.example", Role::Support).await;
    lock_fan(&c).await;
    fan_session(&c).await;
    let session = sign_in(&c, &staff, 0).await.expect("the staff member signs in");

    // Found by e-mail in any letter case, by part of the name, by number and by subject id.
    for query in ["Jean.Dupont@Example.org", "dupo", "0001234567", &c.fan.to_string()] {
        let (status, html) = get(
            &c,
            &session,
            &format!(
                "/?q={}",
                url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
            ),
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("href=\"/fans/{}\"", c.fan)),
            "{query} finds the fan: {html}"
        );
    }
    let (_, none) = get(&c, &session, "/?q=nobody%40example.org").await;
    assert!(none.contains("No fan matches."));

    // Her page: the mirrored contact, the account with its lock, the failed sign-ins.
    let (status, page) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert_eq!(status, 200);
    for shown in [
        "0001234567",
        "jean.dupont@example.org",
        "webhook",
        "locked until",
        "failure",
        "locked",
    ] {
        assert!(page.contains(shown), "{shown} on the fan's page");
    }
    assert!(page.contains(&format!("name=\"csrf\" value=\"{}\"", csrf(&session))));

    let (status, location) = post(&c, &session, &format!("/fans/{}/unlock", c.fan), Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/fans/{}?done=unlock", c.fan).as_str())
    );
    assert_eq!(locked(&c).await, 0, "the lock is lifted");
    let authorize = authorize_url(&c.gateway.base_url, "shop", REDIRECT, &[]);
    sign_in_as(
        &c.client,
        &c.gateway.base_url,
        &authorize,
        "jean.dupont@example.org",
        PASSWORD,
    )
    .await
    .expect("the fan signs in again");
    let success = format!(
        "SELECT count(*) AS n FROM sign_in_audit WHERE subject_id = '{}' AND outcome = 'success'",
        c.fan
    );
    tests::eventually(
        std::time::Duration::from_secs(10),
        "her sign-in in her history",
        || async { (c.db.count(&success).await == 1).then_some(()) },
    )
    .await;

    assert!(live_sessions(&c).await >= 2);
    let (status, _) = post(
        &c,
        &session,
        &format!("/fans/{}/revoke-sessions", c.fan),
        Some(&csrf(&session)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(live_sessions(&c).await, 0, "every session of the fan is revoked");

    // The audit log shows each step, and its export is JSON lines.
    let (status, log) = get(&c, &session, "/audit").await;
    assert_eq!(status, 200);
    for action in ["sign_in", "search", "view_fan", "lift_lock", "revoke_sessions"] {
        assert!(log.contains(action), "{action} in the audit log");
    }
    let (status, export) = get(&c, &session, "/audit.jsonl").await;
    assert_eq!(status, 200);
    let entries: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let lifted = entries
        .iter()
        .find(|e| e["action"] == "lift_lock")
        .expect("the lift in the export");
    assert_eq!(lifted["outcome"], "ok");
    assert_eq!(lifted["target"], c.fan.to_string());
    assert_eq!(lifted["staff_email"], "ana@club.example");
    assert!(!export.contains("Dupont"), "no fan's personal data in the audit");
    // Append-only, whoever asks.
    let mut conn = c.db.pool.get().await.expect("connection");
    use diesel_async::RunQueryDsl;
    assert!(
        diesel::sql_query("DELETE FROM staff_audit")
            .execute(&mut conn)
            .await
            .is_err()
    );
    assert!(
        diesel::sql_query("UPDATE staff_audit SET outcome = 'ok'")
            .execute(&mut conn)
            .await
            .is_err()
    );

    // Signing out ends the session.
    let (status, _) = post(&c, &session, "/logout", Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = get(&c, &session, "/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("/login?next="), "the sign-in page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staff_page_refuses_fans_wrong_codes_and_replays_and_staff_are_not_fans() {
    let c = start().await;
    let staff = add_staff(&c, "ana@club.example", Role::Admin).await;

    // A fan's e-mail and password are not a staff account.
    let (_, csrf_cookie, html) = staff_page(&c, "/").await;
    let answer = post_staff_page(
        &c,
        &csrf_cookie,
        &html,
        "jean.dupont@example.org",
        PASSWORD,
        &totp(&staff.secret, 0),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.headers().get("location").is_none());
    assert!(
        answer
            .text()
            .await
            .expect("html")
            .contains("The e-mail, password or code is not right.")
    );

    // The right password with a wrong code, or without the CSRF cookie, signs nobody in.
    let (_, csrf_cookie, html) = staff_page(&c, "/").await;
    let wrong = format!(
        "{:06}",
        (totp(&staff.secret, 0).parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let answer = post_staff_page(&c, &csrf_cookie, &html, &staff.email, STAFF_PASSWORD, &wrong).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let answer = post_staff_page(
        &c,
        "not-the-cookie",
        &html,
        &staff.email,
        STAFF_PASSWORD,
        &totp(&staff.secret, 0),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);

    // A code is accepted once: the same code again is refused (taken once, so that a new
    // 30-second step between the two tries cannot give the second a fresh code).
    let code = totp(&staff.secret, 0);
    sign_in_with_code(&c, &staff, &code).await.expect("signs in");
    assert_eq!(
        sign_in_with_code(&c, &staff, &code).await,
        Err(StatusCode::UNAUTHORIZED),
        "a TOTP code is single-use"
    );

    // A staff account cannot sign in as a fan.
    let authorize = authorize_url(&c.gateway.base_url, "shop", REDIRECT, &[]);
    assert_eq!(
        sign_in_as(&c.client, &c.gateway.base_url, &authorize, &staff.email, STAFF_PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED)
    );

    // A fan's session at the gateway does not answer the console's request: the staff page does.
    let fan_session = sign_in_as(
        &c.client,
        &c.gateway.base_url,
        &authorize,
        "jean.dupont@example.org",
        PASSWORD,
    )
    .await
    .expect("fan signs in");
    let console_login = c
        .client
        .get(format!("{}/login", c.console.base_url))
        .send()
        .await
        .expect("login");
    let staff_authorize = console_login.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let page = c
        .client
        .get(&staff_authorize)
        .header("cookie", format!("__Host-session={fan_session}"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), StatusCode::OK, "the staff page, not a code");
    assert!(page.text().await.expect("html").contains("action=\"/staff/login\""));

    // Silent requests and requests without PKCE are refused with the client's error.
    let without = |dropped: &[&str], added: &[(&str, &str)]| {
        let mut url = url::Url::parse(&staff_authorize).expect("url");
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| !dropped.contains(&k.as_str()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept).extend_pairs(added);
        url.to_string()
    };
    for (url, error) in [
        (without(&["prompt"], &[("prompt", "none")]), "login_required"),
        (
            without(&["code_challenge", "code_challenge_method"], &[]),
            "invalid_request",
        ),
    ] {
        let answer = c.client.get(&url).send().await.expect("authorize");
        assert_eq!(answer.status(), StatusCode::FOUND, "{url}");
        let location = answer.headers()["location"].to_str().expect("location").to_owned();
        assert!(location.contains(&format!("error={error}")), "{location}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_id_token_states_the_staff_role_and_both_factors_and_a_code_is_single_use() {
    let c = start().await;
    let staff = add_staff(&c, "ana@club.example", Role::Viewer).await;
    let redeem = |code: String, verifier: &str| {
        c.client
            .post(format!("{}/token", c.gateway.base_url))
            .basic_auth("support-console", Some(CONSOLE_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &format!("{}/callback", c.console.base_url)),
                ("code_verifier", verifier),
            ])
            .send()
    };
    // Signs in on the staff page; the code and what the console keeps for its callback.
    let (c, staff) = (&c, &staff);
    let code_for = |offset: i64| async move {
        let (login, csrf_cookie, html) = staff_page(c, "/").await;
        let answer = post_staff_page(
            c,
            &csrf_cookie,
            &html,
            &staff.email,
            STAFF_PASSWORD,
            &totp(&staff.secret, offset),
        )
        .await;
        assert_eq!(answer.status(), StatusCode::FOUND);
        let location = url::Url::parse(answer.headers()["location"].to_str().expect("location")).expect("url");
        let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(params.get("iss"), Some(&c.gateway.base_url));
        let pending = support_console::oidc::Pending::decode(&login).expect("pending sign-in");
        assert_eq!(params.get("state"), Some(&pending.state));
        (params["code"].clone(), pending)
    };

    // A wrong verifier spends the code: PKCE is required, and a code is tried once.
    let (code, _) = code_for(0).await;
    let refused = redeem(
        code.clone(),
        "a-verifier-that-is-long-enough-but-not-the-right-one-at-all",
    )
    .await
    .expect("token");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let (code, pending) = code_for(1).await;
    let answer = redeem(code.clone(), &pending.verifier).await.expect("token");
    assert_eq!(answer.status(), StatusCode::OK);
    let tokens: serde_json::Value = answer.json().await.expect("json");
    assert!(tokens.get("refresh_token").is_none(), "no refresh token for staff");
    let id_token = tokens["id_token"].as_str().expect("id token");
    let keys: jsonwebtoken::jwk::JwkSet = reqwest::get(format!("{}/jwks.json", c.gateway.base_url))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let identity = support_console::oidc::id_token::verify(
        id_token,
        &keys,
        &c.gateway.base_url,
        "support-console",
        &pending.nonce,
    )
    .expect("the console accepts it");
    assert_eq!(identity.role, Role::Viewer);
    assert_eq!(identity.email, "ana@club.example");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            id_token.split('.').nth(1).expect("payload"),
        )
        .expect("base64"),
    )
    .expect("claims");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(claims["staff_role"], "viewer");
    assert_eq!(claims["aud"], "support-console");
    // The console refuses it for another nonce or audience.
    assert!(
        support_console::oidc::id_token::verify(id_token, &keys, &c.gateway.base_url, "support-console", "other")
            .is_err()
    );
    assert!(
        support_console::oidc::id_token::verify(id_token, &keys, &c.gateway.base_url, "shop", &pending.nonce).is_err()
    );
    assert!(
        support_console::oidc::id_token::verify(
            id_token,
            &keys,
            "http://evil.example",
            "support-console",
            &pending.nonce
        )
        .is_err()
    );
    // Forged tokens: unsigned, another key id, or claims changed under the signature.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = id_token.split('.').collect();
    let header: serde_json::Value =
        serde_json::from_slice(&base64::Engine::decode(&engine, parts[0]).expect("b64")).expect("header");
    let encode = |value: &serde_json::Value| base64::Engine::encode(&engine, value.to_string());
    let mut none = header.clone();
    none["alg"] = "none".into();
    let mut other_kid = header.clone();
    other_kid["kid"] = "not-a-key-of-the-gateway".into();
    let mut promoted = claims.clone();
    promoted["staff_role"] = "admin".into();
    for forged in [
        format!("{}.{}.", encode(&none), parts[1]),
        format!("{}.{}.{}", encode(&other_kid), parts[1], parts[2]),
        format!("{}.{}.{}", parts[0], encode(&promoted), parts[2]),
    ] {
        assert!(
            support_console::oidc::id_token::verify(
                &forged,
                &keys,
                &c.gateway.base_url,
                "support-console",
                &pending.nonce
            )
            .is_err(),
            "{forged}"
        );
    }
    let again = redeem(code, &pending.verifier).await.expect("token");
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "the code was spent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_set_password_mail_arrives_over_smtp_and_its_link_works() {
    let broker = tests::TestBroker::create().await;
    let smtp = tests::SmtpServer::start().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    let _worker = tests::spawn_worker_with(&broker.prefix, &c.db.url, &["--smtp-url", &smtp.url()]).await;
    let staff = add_staff(&c, "ana@club.example", Role::Support).await;
    let session = sign_in(&c, &staff, 0).await.expect("signs in");
    let (status, location) = post(
        &c,
        &session,
        &format!("/fans/{}/resend-mail", c.fan),
        Some(&csrf(&session)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/fans/{}?done=resent", c.fan).as_str())
    );
    let mail = tests::eventually(
        std::time::Duration::from_secs(20),
        "the mail arrives over SMTP",
        || async {
            smtp.messages()
                .into_iter()
                .find(|m| m.contains("jean.dupont@example.org"))
        },
    )
    .await;
    let prefix = format!("{}/password/reset?token=", c.gateway.base_url);
    let start = mail.find(&prefix).expect("the link in the mail") + prefix.len();
    let token: String = mail[start..]
        .chars()
        .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
        .collect();
    let form = c
        .client
        .get(format!("{prefix}{token}"))
        .send()
        .await
        .expect("the link answers");
    assert_eq!(form.status(), StatusCode::OK, "the link opens the set-password form");
    assert_eq!(audited(&c, "resend_mail", "ok").await, 1);
    let (_, page) = get(&c, &session, &format!("/fans/{}?done=resent", c.fan)).await;
    assert!(page.contains("A new set-password link was mailed to the fan."));
    assert!(
        page.contains("password-reset"),
        "the mail is listed on her page once sent"
    );
}
