//! The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core
//! §3.1.2.1), checked without any I/O so the rules can be tested and fuzzed on their own.
//! The rule that matters most: a refusal is only ever redirected to a URI registered for the
//! client; anything wrong with the client or the redirect URI is shown on a page.

use std::collections::HashMap;

use crate::clients::{Client, ClientKind, ClientRegistry};

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
}

/// `prompt` (OIDC Core §3.1.2.1). `consent` is accepted and has nothing to ask: every client
/// is the organisation's own or S-360's, registered by the organisation. `select_account`
/// shows the sign-in page, where the fan may sign in as someone else, since a browser holds one
/// session here.
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
        let prompt = match get("prompt").unwrap_or_default() {
            "none" => Prompt::None,
            values
                if values
                    .split(' ')
                    .all(|p| matches!(p, "" | "login" | "consent" | "select_account")) =>
            {
                if values.split(' ').any(|p| matches!(p, "login" | "select_account")) {
                    Prompt::Login
                } else {
                    Prompt::Default
                }
            }
            _ => return Err(refuse("invalid_request", "unsupported prompt value")),
        };
        let max_age = match get("max_age") {
            None => None,
            Some(value) => match value.parse::<i64>() {
                Ok(seconds) if seconds >= 0 => Some(seconds),
                _ => return Err(refuse("invalid_request", "max_age must be a non-negative integer")),
            },
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
        assert_eq!(check(&format!("{ok}&prompt=login%20consent")), Ok(Prompt::Login));
        assert_eq!(check(&format!("{ok}&prompt=select_account")), Ok(Prompt::Login));
        assert_eq!(check(&format!("{ok}&prompt=consent")), Ok(Prompt::Default));
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
