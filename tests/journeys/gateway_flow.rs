//! The authorization code flow with PKCE, end to end against the running gateway: sign-in
//! page, session cookie, code, token exchange, ID token verified through the JWKS, userinfo,
//! refresh rotation with reuse detection, and the errors RFC 6749 and OIDC Core require.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{gateway_support::*, oidc_support::shop_authorize};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_flow_signs_in_and_the_shop_reads_userinfo() {
    let s = setup().await;
    // Every scope: the phone number and the address come only with `phone` and `address`
    // (OIDC Core 5.4; each scope on its own: `oidc_basic_tokens::oidcc_scope_*`).
    let authorize = shop_authorize(
        &s,
        "openid email profile phone address",
        &[
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    );
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let params = redirect_params(&s, &authorize, Some(&session)).await;
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(params.get("iss").map(String::as_str), Some("http://127.0.0.1:8080"));
    let code = params.get("code").expect("a code").clone();

    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token(&s, &form, true).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = verify_id_token(&s, tokens["id_token"].as_str().expect("id token")).await;
    assert_eq!(claims["sub"], s.subject.to_string(), "our stable subject id");
    assert_eq!(claims["nonce"], "nonce-456");
    assert_eq!(claims["email"], "jean.dupont@example.org");
    assert_eq!(claims["contact_number"], "0001234567");
    assert!(claims["auth_time"].is_i64());

    let access = tokens["access_token"].as_str().expect("access token");
    let header = jsonwebtoken::decode_header(access).expect("header");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let info: Value = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(
        (info["given_name"].as_str(), info["family_name"].as_str()),
        (Some("Jean"), Some("Dupont"))
    );
    assert_eq!(info["birthdate"], "1985-06-14");
    assert_eq!(info["locale"], "fr");
    assert_eq!(info["phone_number"], "+41791234567");
    assert_eq!(info["address"]["locality"], "Lausanne");
    assert_eq!(info["opt_ins"]["NEWSLTR"], true);

    // The code is single-use, and its replay revokes what it issued.
    let (status, error) = token(&s, &form, true).await;
    assert_eq!((status.as_u16(), error["error"].as_str()), (400, Some("invalid_grant")));
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, _) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
    assert_eq!(status, 400, "refresh token revoked by the code replay");

    // Silent sign-in with the session: a new code without any page.
    let silent = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[("prompt", "none")]);
    assert!(redirect_params(&s, &silent, Some(&session)).await.contains_key("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let s = setup().await;
    let code = app_code(&s).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", APP_REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", "web-app"),
    ];
    let (status, first) = token(&s, &form, false).await;
    assert_eq!(status, 200, "{first}");
    let a = first["refresh_token"].as_str().expect("A").to_owned();
    let refresh = |t: String| {
        [
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", t),
            ("client_id", "web-app".to_owned()),
        ]
    };
    let post = |form: [(&'static str, String); 3]| {
        let request = s.client.post(format!("{}/token", s.gateway.base_url)).form(&form);
        async move {
            let response = request.send().await.expect("answers");
            (response.status(), response.json::<Value>().await.expect("json"))
        }
    };
    let (status, second) = post(refresh(a.clone())).await;
    assert_eq!(status, 200, "A → B");
    let b = second["refresh_token"].as_str().expect("B").to_owned();
    assert_ne!(a, b, "rotated");
    let (status, error) = post(refresh(a)).await;
    assert_eq!(
        (status.as_u16(), error["error"].as_str()),
        (400, Some("invalid_grant")),
        "A reused"
    );
    let (status, _) = post(refresh(b)).await;
    assert_eq!(status, 400, "B revoked with its family");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_errors_follow_the_specifications() {
    let s = setup().await;
    let base = &s.gateway.base_url;
    // An unregistered redirect URI gets nothing: an error page, no redirect.
    let evil = authorize_url(base, "shop", "https://evil.example/cb", &[]);
    let response = s.client.get(&evil).send().await.expect("answers");
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let unknown = authorize_url(base, "nobody", REDIRECT, &[]);
    assert_eq!(s.client.get(&unknown).send().await.expect("answers").status(), 400);

    // Other errors go back to the client with the state.
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("prompt", "none")], "login_required"),
        (
            &[("code_challenge", "abc"), ("code_challenge_method", "plain")],
            "invalid_request",
        ),
        (
            &[("code_challenge", &"a".repeat(43)), ("code_challenge_method", "plain")],
            "invalid_request",
        ),
        (&[("response_type", "token")], "invalid_request"),
    ];
    for (extra, expected) in cases {
        let url = authorize_url(base, "shop", REDIRECT, extra);
        let response = s.client.get(&url).send().await.expect("answers");
        if response.status() == StatusCode::BAD_REQUEST {
            assert_eq!(expected, "invalid_request", "{url}: repeated parameter page");
            continue;
        }
        let params = redirect_params(&s, &url, None).await;
        assert_eq!(params.get("error").map(String::as_str), Some(expected), "{url}");
        assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    }
    // A public client must use PKCE.
    let no_pkce = authorize_url(base, "web-app", APP_REDIRECT, &[]);
    assert_eq!(redirect_params(&s, &no_pkce, None).await["error"], "invalid_request");

    // Wrong client secret or none: invalid_client with a challenge.
    let response = s
        .client
        .post(format!("{base}/token"))
        .basic_auth("shop", Some("wrong"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));

    // The same generic refusal for a wrong password and for an unknown account.
    let authorize = authorize_url(base, "shop", REDIRECT, &[]);
    assert_eq!(
        sign_in(&s, &authorize, "wrong password").await,
        Err(StatusCode::UNAUTHORIZED)
    );

    // Userinfo without or with a forged token: 401 with a Bearer challenge.
    let response = s.client.get(format!("{base}/userinfo")).send().await.expect("answers");
    assert_eq!(response.status(), 401);
    let forged = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"x"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{}"}}"#, s.subject))
    );
    let response = s
        .client
        .get(format!("{base}/userinfo"))
        .bearer_auth(forged)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("invalid_token"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_oidc_client_library_completes_the_flow() {
    const POST_LOGOUT: &str = "https://shop.example.org/signed-out";
    let shop = auth_gateway::clients::Client {
        post_logout_redirect_uris: vec![POST_LOGOUT.into()],
        ..shop_client()
    };
    let s = setup_with_registry(&registry_file(vec![shop]), &[]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/authlib_client.py");
    let output = tokio::process::Command::new("python3")
        .args([
            script,
            &s.gateway.base_url,
            "shop",
            SHOP_SECRET,
            REDIRECT,
            "jean.dupont@example.org",
            PASSWORD,
            POST_LOGOUT,
        ])
        .output()
        .await
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "authlib client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(seen["id_token_sub"], s.subject.to_string());
    assert_eq!(
        seen["userinfo_sub"], seen["id_token_sub"],
        "userinfo and ID token agree on sub"
    );
    assert_eq!(seen["id_token_email"], "jean.dupont@example.org");
    assert_eq!(seen["contact_number"], "0001234567");
    assert_eq!(seen["userinfo_given_name"], "Jean");
    assert_eq!(seen["silent_has_code"], true, "prompt=none with a session");
    assert_eq!(seen["anonymous_error"], "login_required", "prompt=none without one");
    assert_eq!(seen["refresh_rotated"], true);
    assert_eq!(
        seen["reauth_auth_time_advanced"], true,
        "max_age=0 asked for a new sign-in"
    );
    assert_eq!(seen["reauth_same_sub"], true);
    assert_eq!(seen["logout_onward"], format!("{POST_LOGOUT}?state=bye"));
    assert_eq!(seen["after_logout_error"], "login_required", "the session ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_signs_in_through_the_login_page_in_a_real_browser() {
    let broker = tests::TestBroker::create().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    // The public web app's callback, served by the browser script on loopback.
    let authorize = authorize_url(
        &s.gateway.base_url,
        "web-app",
        APP_REDIRECT,
        &[
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/login.mjs");
    let screenshot = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/browser-sign-in.png");
    let output = tokio::process::Command::new("node")
        .args([
            script,
            &s.gateway.base_url,
            &authorize,
            "jean.dupont@example.org",
            PASSWORD,
            APP_REDIRECT,
        ])
        .env("SCREENSHOT", screenshot)
        .env("PROFILE_FIRST_NAME", "Jeanne")
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "browser journey failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(seen["lang"], "fr", "the page follows the browser's language");
    assert_eq!(seen["heading"], "Connexion");
    let landed = url::Url::parse(seen["landed"].as_str().expect("landed at the shop")).expect("url");
    let params: std::collections::HashMap<_, _> = landed.query_pairs().into_owned().collect();
    assert!(params.contains_key("code"), "{landed}");
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(
        seen["session"],
        serde_json::json!({ "httpOnly": true, "secure": true, "sameSite": "Lax" })
    );
    // Then the profile page, in the contact's language, without any script.
    assert_eq!(seen["profile"]["heading"], "Mon profil");
    assert_eq!(seen["profile"]["shownFirstName"], "Jean");
    assert_eq!(
        seen["profile"]["status"],
        "Vos modifications sont enregistrées. La billetterie les affichera sous peu."
    );
    assert_eq!(
        broker.ready_count(&broker.topology.commands_queue()).await,
        1,
        "one UpdateProfile command for the worker"
    );
}
