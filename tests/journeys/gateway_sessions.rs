//! Sessions and grants after sign-in: revocation and introspection, forward-auth, logout,
//! merged contacts, throttling, CSRF and return targets.

use reqwest::StatusCode;

use crate::gateway_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_reflected_at_once() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let active = introspect(&s, access).await;
    assert_eq!(
        (active["active"].as_bool(), active["client_id"].as_str()),
        (Some(true), Some("shop"))
    );
    assert_eq!(introspect(&s, refresh).await["active"], true);

    // Introspection requires client authentication.
    let anonymous = s
        .client
        .post(format!("{}/introspect", s.gateway.base_url))
        .form(&[("token", access)])
        .send()
        .await;
    assert_eq!(anonymous.expect("answers").status(), 401);

    // Revoking the refresh token ends the grant: the access token goes inactive too.
    let revoke = |token: &str| {
        s.client
            .post(format!("{}/revoke", s.gateway.base_url))
            .basic_auth("shop", Some(SHOP_SECRET))
            .form(&[("token", token)])
            .send()
    };
    assert_eq!(revoke(refresh).await.expect("answers").status(), 200);
    assert_eq!(introspect(&s, refresh).await, serde_json::json!({ "active": false }));
    assert_eq!(introspect(&s, access).await, serde_json::json!({ "active": false }));
    let userinfo = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await;
    assert_eq!(userinfo.expect("answers").status(), 401);
    assert_eq!(
        revoke("an-unknown-token").await.expect("answers").status(),
        200,
        "RFC 7009: 200 for unknown tokens"
    );

    // An access token can be revoked on its own.
    let (_, fresh) = shop_tokens(&s).await;
    let access = fresh["access_token"].as_str().expect("access");
    assert_eq!(revoke(access).await.expect("answers").status(), 200);
    assert_eq!(introspect(&s, access).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_serve_forward_auth_until_logout_or_a_merge() {
    let s = setup().await;
    let (session, tokens) = shop_tokens(&s).await;
    let verify = |session: String| {
        s.client
            .get(format!("{}/auth/verify", s.gateway.base_url))
            .header("cookie", format!("__Host-session={session}"))
            .send()
    };
    let ok = verify(session.clone()).await.expect("answers");
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers().get("x-auth-subject").and_then(|v| v.to_str().ok()),
        Some(s.subject.to_string().as_str())
    );
    assert_eq!(
        ok.headers().get("x-auth-contact-number").and_then(|v| v.to_str().ok()),
        Some("0001234567")
    );
    assert_eq!(
        s.client
            .get(format!("{}/auth/verify", s.gateway.base_url))
            .send()
            .await
            .expect("answers")
            .status(),
        401
    );

    // Logout ends the session on the server: replaying the old cookie fails.
    let logout = s
        .client
        .get(format!("{}/logout", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(logout.status(), 200);
    assert!(cookie(&logout, "__Host-session").is_some_and(|c| c.contains("Max-Age=0") || c.contains("Expires")));
    assert_eq!(verify(session).await.expect("answers").status(), 401);

    // A contact merged away cannot use what it had.
    let (session, _) = shop_tokens(&s).await;
    s.db.execute("UPDATE contacts SET state = 'merged', head_contact_number = '0009999999'")
        .await;
    assert_eq!(verify(session).await.expect("answers").status(), 401);
    let access = tokens["access_token"].as_str().expect("access");
    let userinfo = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await;
    assert_eq!(userinfo.expect("answers").status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    for attempt in 1..=5 {
        assert_eq!(
            sign_in(&s, &authorize, "wrong password").await,
            Err(StatusCode::UNAUTHORIZED),
            "attempt {attempt}"
        );
    }
    // Locked: the right password is refused too, with Retry-After.
    let page = s.client.get(&authorize).send().await.expect("answers");
    let csrf_cookie = cookie(&page, "__Host-csrf").expect("csrf cookie");
    let html = page.text().await.expect("html");
    let response = s
        .client
        .post(format!("{}/login", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={}", cookie_value(&csrf_cookie)))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", hidden(&html, "return_to")),
            ("email", "jean.dupont@example.org".to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(
        response
            .headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap_or("").starts_with("__Host-session"))
    );

    // The lock expires: once it has, the right password works again.
    s.db.execute("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
        .await;
    assert!(sign_in(&s, &authorize, PASSWORD).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_form_without_its_csrf_cookie_is_refused() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let html = s
        .client
        .get(&authorize)
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("html");
    let form = [
        ("csrf", hidden(&html, "csrf")),
        ("return_to", hidden(&html, "return_to")),
        ("email", "jean.dupont@example.org".to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let response = s
        .client
        .post(format!("{}/login", s.gateway.base_url))
        .form(&form)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let forged = s
        .client
        .post(format!("{}/login", s.gateway.base_url))
        .header("cookie", "__Host-csrf=attacker-chosen")
        .form(&form)
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // An open redirect through return_to is not possible.
    let page = s.client.get(&authorize).send().await.expect("answers");
    let csrf_cookie = cookie(&page, "__Host-csrf").expect("csrf cookie");
    let html = page.text().await.expect("html");
    let response = s
        .client
        .post(format!("{}/login", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={}", cookie_value(&csrf_cookie)))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", "https://evil.example/".to_owned()),
            ("email", "jean.dupont@example.org".to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        response.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_when_idle_or_too_old_and_rotate_at_sign_in() {
    let s = setup().await;
    let verify = |session: String| {
        s.client
            .get(format!("{}/auth/verify", s.gateway.base_url))
            .header("cookie", format!("__Host-session={session}"))
            .send()
    };
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let first = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    assert_eq!(verify(first.clone()).await.expect("answers").status(), 200);

    // Already signed in: straight back to the client. Every sign-in issues a session value of
    // its own (a value planted in the browser before is never adopted).
    let page = s
        .client
        .get(&authorize)
        .header("cookie", format!("__Host-session={first}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 302);
    let planted = "attacker-planted-session-value";
    assert_eq!(verify(planted.to_owned()).await.expect("answers").status(), 401);
    let second = sign_in(
        &s,
        &authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[("prompt", "login")]),
        PASSWORD,
    )
    .await
    .expect("signed in again");
    assert_ne!(first, second);
    assert_ne!(second, planted);

    // Idle for 31 minutes: gone.
    s.db.execute("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")
        .await;
    assert_eq!(verify(second).await.expect("answers").status(), 401);

    // Older than 8 hours: gone, however active.
    let third = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    s.db.execute("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL")
        .await;
    assert_eq!(verify(third).await.expect("answers").status(), 401);
}
