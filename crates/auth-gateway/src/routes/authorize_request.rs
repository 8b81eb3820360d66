//! The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core
//! §3.1.2.1), checked without any I/O so the rules can be tested and fuzzed on their own.
//! The rule that matters most: a refusal is only ever redirected to a URI registered for the
//! client; anything wrong with the client or the redirect URI is shown on a page.

use std::collections::HashMap;

use store::auth::codes::RequestedClaims;

use crate::{
    clients::{Client, ClientKind, ClientRegistry},
    routes::userinfo,
    tokens::ACR_PASSWORD,
};

/// The longest `claims` parameter read (a request for every claim we have is under 1 KiB).
const MAX_CLAIMS_BYTES: usize = 4096;

/// A request that passed every check.
#[derive(Debug)]
pub struct AuthorizeRequest<'a> {
    pub client: &'a Client,
    pub redirect_uri: &'a str,
    pub state: Option<&'a str>,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub prompt: Prompt,
    pub login_hint: Option<&'a str>,
    /// `max_age` (OIDC Core §3.1.2.1): the longest time, in seconds, since the fan last
    /// actively signed in; older sessions must sign in again. `0` is `prompt=login`.
    pub max_age: Option<i64>,
    /// `id_token_hint`: an ID token we issued, naming the fan the client expects.
    pub id_token_hint: Option<&'a str>,
    /// What the `claims` parameter (OIDC Core §5.5) asked for that we act on.
    pub claims: ClaimsRequest,
}

/// The `claims` parameter (OIDC Core §5.5), reduced to what the gateway acts on. Essential and
/// voluntary requests are answered alike: consent is never withheld here, so every claim asked
/// for that the fan has a value for is returned, and one without a value is left out with no
/// error (§5.5.1). An essential `acr` with values must be met (§5.5.1.1, checked in
/// [`AuthorizeRequest::check`]), and a `sub` with a value names the only fan who may be answered.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ClaimsRequest {
    /// The claims about the fan asked for in the ID token and from userinfo, by name.
    pub names: RequestedClaims,
    /// `sub` asked for in the ID token with a value.
    pub subject: Option<String>,
}

/// Why a `claims` parameter is refused.
#[derive(Debug, PartialEq, Eq)]
enum ClaimsRefusal {
    /// Not a claims request as §5.5 defines one.
    Malformed,
    /// An essential `acr` none of whose values we can meet.
    UnmetAcr,
}

impl ClaimsRequest {
    fn parse(text: &str) -> Result<Self, ClaimsRefusal> {
        use serde_json::Value;
        if text.len() > MAX_CLAIMS_BYTES {
            return Err(ClaimsRefusal::Malformed);
        }
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            return Err(ClaimsRefusal::Malformed);
        };
        let mut parsed = Self::default();
        // Members other than these two are for extensions we do not implement (§5.5).
        for (member, names) in [
            ("id_token", &mut parsed.names.id_token),
            ("userinfo", &mut parsed.names.userinfo),
        ] {
            let claims = match request.get(member) {
                None => continue,
                Some(Value::Object(claims)) => claims,
                Some(_) => return Err(ClaimsRefusal::Malformed),
            };
            for (name, wanted) in claims {
                let wanted = match wanted {
                    Value::Null => &serde_json::Map::new(),
                    Value::Object(wanted) => wanted,
                    _ => return Err(ClaimsRefusal::Malformed),
                };
                let essential = match wanted.get("essential") {
                    None => false,
                    Some(Value::Bool(essential)) => *essential,
                    Some(_) => return Err(ClaimsRefusal::Malformed),
                };
                let values = match (wanted.get("value"), wanted.get("values")) {
                    (None, None) => None,
                    (Some(value), None) => Some(std::slice::from_ref(value)),
                    (None, Some(Value::Array(values))) => Some(values.as_slice()),
                    _ => return Err(ClaimsRefusal::Malformed),
                };
                match (member, name.as_str(), values) {
                    // §5.5.1.1: an essential acr must be one of those asked for; a voluntary
                    // one is answered with ours.
                    ("id_token", "acr", Some(values))
                        if essential && !values.iter().any(|v| v.as_str() == Some(ACR_PASSWORD)) =>
                    {
                        return Err(ClaimsRefusal::UnmetAcr);
                    }
                    // §5.5.1: only that fan may be answered.
                    ("id_token", "sub", Some([Value::String(sub)])) => parsed.subject = Some(sub.clone()),
                    ("id_token", "sub", Some(_)) => return Err(ClaimsRefusal::Malformed),
                    // Ours are always in the ID token and userinfo (sub, acr, auth_time…);
                    // names we hold nothing for are never answered.
                    (_, name, _) if userinfo::known_claim(name) => names.push(name.to_owned()),
                    _ => {}
                }
            }
        }
        Ok(parsed)
    }
}

/// `prompt` (OIDC Core §3.1.2.1). `consent` is refused with `consent_required`
/// ([`AuthorizeRequest::check`]). `select_account` shows the sign-in page, where the fan may
/// sign in as someone else, since a browser holds one session here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Default,
    /// Silent: answer `login_required` rather than show a page.
    None,
    /// Ask for a fresh sign-in.
    Login,
}

/// Why a request is refused, and where the refusal goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal<'a> {
    /// Shown to the user: the client is unknown or the redirect URI is not registered.
    Page(&'static str),
    /// Sent back to the client's registered redirect URI.
    Redirect {
        redirect_uri: &'a str,
        state: Option<&'a str>,
        error: &'static str,
        description: &'static str,
    },
}

impl<'a> AuthorizeRequest<'a> {
    /// Checks parsed query parameters (see `params::parse`) against the client registry.
    pub fn check(params: &'a HashMap<String, String>, clients: &'a ClientRegistry) -> Result<Self, Refusal<'a>> {
        let get = |name: &str| params.get(name).map(String::as_str);
        let Some(client) = get("client_id").and_then(|id| clients.get(id)) else {
            return Err(Refusal::Page("Unknown client."));
        };
        let Some(redirect_uri) = get("redirect_uri").filter(|uri| client.allows_redirect(uri)) else {
            return Err(Refusal::Page("The redirect URI is not registered for this client."));
        };
        let state = get("state");
        let refuse = |error, description| Refusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
        };

        if get("response_type") != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        let scope = get("scope").unwrap_or_default();
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(refuse("invalid_scope", "the openid scope is required"));
        }
        let code_challenge = get("code_challenge");
        match (get("code_challenge_method"), code_challenge) {
            (Some("S256"), Some(c)) if valid_challenge(c) => {}
            (None, None) if client.kind == ClientKind::Confidential => {}
            (None, None) => {
                return Err(refuse(
                    "invalid_request",
                    "PKCE with S256 is required for public clients",
                ));
            }
            (Some("S256") | None, _) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge must be 43 to 128 base64url characters with S256",
                ));
            }
            (Some(_), _) => {
                return Err(refuse(
                    "invalid_request",
                    "only the S256 code challenge method is supported",
                ));
            }
        }
        // OIDC Core §6: request objects are not supported, and saying so is required (ignoring
        // them would act on parameters the client did not mean).
        if get("request").is_some() {
            return Err(refuse("request_not_supported", "request objects are not supported"));
        }
        if get("request_uri").is_some() {
            return Err(refuse(
                "request_uri_not_supported",
                "request_uri is only accepted from the pushed authorization request endpoint",
            ));
        }
        let prompts: Vec<&str> = get("prompt")
            .unwrap_or_default()
            .split(' ')
            .filter(|p| !p.is_empty())
            .collect();
        let known = |p: &&str| matches!(*p, "none" | "login" | "consent" | "select_account");
        // §3.1.2.1: none with any other value is an error.
        if !prompts.iter().all(known) || (prompts.contains(&"none") && prompts.len() > 1) {
            return Err(refuse("invalid_request", "unsupported prompt value"));
        }
        let prompt = if prompts.contains(&"consent") {
            // There is no consent step: every client is the organisation's own or S-360's,
            // registered by the organisation, which is where consent to the claims it may ask
            // is given. A provider that cannot obtain consent must answer with an error
            // (§3.1.2.1), rather than act as if it had asked.
            return Err(refuse(
                "consent_required",
                "this provider has no consent step: consent is given when the organisation registers the client",
            ));
        } else if prompts.contains(&"none") {
            Prompt::None
        } else if prompts.iter().any(|p| matches!(*p, "login" | "select_account")) {
            Prompt::Login
        } else {
            Prompt::Default
        };
        let max_age = match get("max_age") {
            None => None,
            Some(value) => match value.parse::<i64>() {
                Ok(seconds) if seconds >= 0 => Some(seconds),
                _ => return Err(refuse("invalid_request", "max_age must be a non-negative integer")),
            },
        };
        // acr_values (§3.1.2.1) needs no check: it is a voluntary request, answered with the one
        // acr we have (the value of acr_values_supported, which is what the suite asks for).
        // An essential acr in the claims parameter is another matter (§5.5.1.1).
        let claims = match get("claims").map(ClaimsRequest::parse) {
            None => ClaimsRequest::default(),
            Some(Ok(claims)) => claims,
            Some(Err(ClaimsRefusal::Malformed)) => {
                return Err(refuse(
                    "invalid_request",
                    "claims must be a JSON object as OIDC Core 5.5 defines it",
                ));
            }
            // §5.5.1.1 makes it a failed authentication; this error code is the one OpenID
            // defined for exactly that case (OpenID Connect Core Error Code
            // unmet_authentication_requirements 1.0).
            Some(Err(ClaimsRefusal::UnmetAcr)) => {
                return Err(refuse(
                    "unmet_authentication_requirements",
                    "the essential acr asked for cannot be met: sign-ins here are single-factor",
                ));
            }
        };
        // A max_age of 0 asks for a sign-in now, like prompt=login (OIDC Core §3.1.2.1).
        let prompt = if max_age == Some(0) && prompt == Prompt::Default {
            Prompt::Login
        } else {
            prompt
        };
        Ok(Self {
            client,
            redirect_uri,
            state,
            scope,
            nonce: get("nonce"),
            code_challenge,
            prompt,
            login_hint: get("login_hint"),
            max_age,
            id_token_hint: get("id_token_hint"),
            claims,
        })
    }
}

/// RFC 7636 §4.2: 43 to 128 characters of the unreserved set (an S256 challenge is 43).
pub fn valid_challenge(challenge: &str) -> bool {
    (43..=128).contains(&challenge.len())
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

/// RFC 7636 §4.6: the S256 of `verifier` (43 to 128 characters) is `challenge`, compared in
/// constant time.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let computed = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    (43..=128).contains(&verifier.len())
        && bool::from(subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::params;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn registry() -> ClientRegistry {
        let client = |id: &str, kind| Client {
            id: id.into(),
            name: id.into(),
            kind,
            secret_hashes: vec![],
            redirect_uris: vec![format!("https://{id}.example.org/cb")],
            post_logout_redirect_uris: vec![],
            ..Default::default()
        };
        ClientRegistry {
            clients: vec![
                client("shop", ClientKind::Confidential),
                client("app", ClientKind::Public),
            ],
        }
    }

    fn check(query: &str) -> Result<Prompt, String> {
        let clients = registry();
        let params = params::parse(query).expect("no repeated parameter");
        match AuthorizeRequest::check(&params, &clients) {
            Ok(request) => Ok(request.prompt),
            Err(Refusal::Page(detail)) => Err(format!("page: {detail}")),
            Err(Refusal::Redirect {
                redirect_uri, error, ..
            }) => Err(format!("{redirect_uri} {error}")),
        }
    }

    #[test]
    fn client_and_redirect_problems_are_never_redirected() {
        assert_eq!(
            check("client_id=nobody&redirect_uri=https%3A%2F%2Fshop.example.org%2Fcb"),
            Err("page: Unknown client.".into())
        );
        assert!(
            check("client_id=shop&redirect_uri=https%3A%2F%2Fevil.example%2Fcb").is_err_and(|e| e.starts_with("page:"))
        );
        // Another client's URI is not this client's.
        assert!(
            check("client_id=shop&redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb")
                .is_err_and(|e| e.starts_with("page:"))
        );
    }

    #[test]
    fn other_problems_go_back_to_the_registered_uri() {
        let base = "client_id=shop&redirect_uri=https%3A%2F%2Fshop.example.org%2Fcb";
        assert_eq!(
            check(base),
            Err("https://shop.example.org/cb unsupported_response_type".into())
        );
        assert_eq!(
            check(&format!("{base}&response_type=code&scope=profile")),
            Err("https://shop.example.org/cb invalid_scope".into())
        );
        let ok = format!("{base}&response_type=code&scope=openid%20email");
        assert_eq!(check(&ok), Ok(Prompt::Default));
        assert_eq!(check(&format!("{ok}&prompt=none")), Ok(Prompt::None));
        assert_eq!(check(&format!("{ok}&prompt=login%20select_account")), Ok(Prompt::Login));
        assert_eq!(check(&format!("{ok}&prompt=select_account")), Ok(Prompt::Login));
        for consent in ["consent", "login%20consent"] {
            assert_eq!(
                check(&format!("{ok}&prompt={consent}")),
                Err("https://shop.example.org/cb consent_required".into())
            );
        }
        assert_eq!(
            check(&format!("{ok}&prompt=none%20consent")),
            Err("https://shop.example.org/cb invalid_request".into())
        );
        assert_eq!(check(&format!("{ok}&max_age=0")), Ok(Prompt::Login));
        assert_eq!(check(&format!("{ok}&max_age=10000")), Ok(Prompt::Default));
        assert_eq!(
            check(&format!("{ok}&max_age=-1")),
            Err("https://shop.example.org/cb invalid_request".into())
        );
        assert_eq!(
            check(&format!("{ok}&max_age=soon")),
            Err("https://shop.example.org/cb invalid_request".into())
        );
        assert_eq!(
            check(&format!("{ok}&request=eyJhbGciOiJub25lIn0.e30.")),
            Err("https://shop.example.org/cb request_not_supported".into())
        );
        assert_eq!(
            check(&format!("{ok}&request_uri=https%3A%2F%2Fshop.example.org%2Fr")),
            Err("https://shop.example.org/cb request_uri_not_supported".into())
        );
        // Unknown parameters, display, locales and acr_values are accepted.
        assert_eq!(
            check(&format!("{ok}&display=popup&claims_locales=de&acr_values=1&extra=x")),
            Ok(Prompt::Default)
        );
        assert_eq!(
            check(&format!("{ok}&prompt=none%20login")),
            Err("https://shop.example.org/cb invalid_request".into())
        );
        assert_eq!(
            check(&format!("{ok}&code_challenge_method=plain&code_challenge={CHALLENGE}")),
            Err("https://shop.example.org/cb invalid_request".into())
        );
    }

    fn claims(json: &str) -> Result<ClaimsRequest, ClaimsRefusal> {
        ClaimsRequest::parse(json)
    }

    fn names(id_token: &[&str], userinfo: &[&str]) -> RequestedClaims {
        let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        RequestedClaims {
            id_token: owned(id_token),
            userinfo: owned(userinfo),
        }
    }

    #[test]
    fn the_claims_parameter_keeps_the_names_we_can_answer() {
        let parsed = claims(
            r#"{"userinfo": {"name": {"essential": true}, "nickname": null, "email": null},
                "id_token": {"birthdate": {"essential": false}, "auth_time": {"essential": true},
                             "sub": {"value": "abc"}, "acr": {"values": ["urn:other"]}},
                "other": 1}"#,
        )
        .expect("valid");
        assert_eq!(parsed.names, names(&["birthdate"], &["email", "name"]));
        assert_eq!(parsed.subject.as_deref(), Some("abc"));
        assert_eq!(claims("{}"), Ok(ClaimsRequest::default()));
    }

    #[test]
    fn an_essential_acr_must_be_one_we_give_and_malformed_requests_are_refused() {
        let ours =
            format!(r#"{{"id_token": {{"acr": {{"essential": true, "values": ["urn:x", "{ACR_PASSWORD}"]}}}}}}"#);
        assert!(claims(&ours).is_ok());
        assert_eq!(
            claims(r#"{"id_token": {"acr": {"essential": true, "value": "urn:mfa"}}}"#),
            Err(ClaimsRefusal::UnmetAcr)
        );
        for malformed in [
            "[]",
            "not json",
            r#"{"userinfo": []}"#,
            r#"{"userinfo": {"name": true}}"#,
            r#"{"userinfo": {"name": {"essential": "yes"}}}"#,
            r#"{"userinfo": {"name": {"values": "x"}}}"#,
            r#"{"id_token": {"sub": {"value": 1}}}"#,
        ] {
            assert_eq!(claims(malformed), Err(ClaimsRefusal::Malformed), "{malformed}");
        }
        assert_eq!(claims(&" ".repeat(MAX_CLAIMS_BYTES + 1)), Err(ClaimsRefusal::Malformed));
        let base = "client_id=shop&redirect_uri=https%3A%2F%2Fshop.example.org%2Fcb&response_type=code&scope=openid";
        assert_eq!(
            check(&format!(
                "{base}&claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22urn%3Amfa%22%7D%7D%7D"
            )),
            Err("https://shop.example.org/cb unmet_authentication_requirements".into())
        );
        assert_eq!(
            check(&format!("{base}&claims=%5B%5D")),
            Err("https://shop.example.org/cb invalid_request".into())
        );
    }

    #[test]
    fn public_clients_need_an_s256_challenge() {
        let base = "client_id=app&redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb&response_type=code&scope=openid";
        assert_eq!(check(base), Err("https://app.example.org/cb invalid_request".into()));
        assert_eq!(
            check(&format!("{base}&code_challenge_method=S256&code_challenge=short")),
            Err("https://app.example.org/cb invalid_request".into())
        );
        assert_eq!(
            check(&format!("{base}&code_challenge_method=S256&code_challenge={CHALLENGE}")),
            Ok(Prompt::Default)
        );
    }

    #[test]
    fn challenges_follow_rfc_7636() {
        assert!(valid_challenge(CHALLENGE));
        assert!(!valid_challenge("short"));
        assert!(!valid_challenge(&"a".repeat(129)));
        assert!(!valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
    }
}
