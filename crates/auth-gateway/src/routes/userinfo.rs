//! `GET/POST /userinfo` (OIDC Core §5.3): the contact's data for S-360 (seed step 10), from
//! the contact mirror. Requires one of our access tokens, as `Authorization: Bearer` or as
//! `access_token` in a form-encoded POST body (RFC 6750 §2.1, §2.2). Answers
//! are cached per token until something changes for the subject (`crate::cache`). A miss (the
//! first request of each token: S-360 asks once per sign-in) verifies the token and makes one
//! statement, which checks that the grant stands and reads the claims
//! (`store::auth::grants::active_holder`).
//!
//! The answer holds `sub` and the claims the token's scopes ask for (OIDC Core §5.4, table in
//! [`SCOPE_CLAIMS`]), plus those the `claims` request parameter asked userinfo for (§5.5,
//! carried in the access token's `userinfo_claims`); claims without a value are left out.
//!
//! Mapping to S-360 fields: `given_name`/`family_name` ← `individualContact.firstname`/
//! `lastname`; `email` ← the login e-mail; `locale` ← `languageCode`; `birthdate` ←
//! `birthDate`; `phone_number` ← `cellPhoneNumber`; `address` ← the main address
//! (`street1..4`, `zipCode`, `town`, `countryCode`); `opt_ins` ← `authorizations`
//! (`authorizationCode` → `allowed`); `contact_number` ← `contactNumber`.
//!
//! A fan who signed up has no contact until S-360 has one (docs/identity-provider.md): until
//! then the answer holds the login e-mail, `email_verified`, and the names and `locale` given at
//! sign-up, and no `contact_number`.

use actix_web::{HttpRequest, HttpResponse, http::header, web, web::Bytes};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use store::auth::grants::{self, Grant, Holder};

use crate::state::GatewayState;

pub async fn userinfo(req: HttpRequest, body: Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let token = match bearer_token(&req, &body) {
        Ok(Some(token)) => token,
        Ok(None) => return challenge("invalid_request", "a bearer token is required"),
        Err(problem) => return refused(problem),
    };
    let token = token.as_str();
    if let Some(body) = state.userinfo_cache.get(token) {
        return answer(body);
    }
    // Read before the database, so an invalidation during the read keeps the answer uncached.
    let epoch = state.userinfo_cache.epoch();
    let claims = match state.tokens.verify_access_token(token) {
        Ok(claims) => claims,
        Err(_) => return challenge("invalid_token", "the access token is invalid"),
    };
    // A token whose identifiers do not parse never stands (as `crate::grants::is_active`).
    let (Ok(subject), Ok(jti)) = (uuid::Uuid::parse_str(&claims.sub), uuid::Uuid::parse_str(&claims.jti)) else {
        return challenge("invalid_token", "the access token is invalid");
    };
    let grant = Grant {
        jti,
        subject,
        family: uuid::Uuid::parse_str(&claims.sid).ok(),
    };
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable();
    };
    // One round trip: whether the grant stands (token and family not revoked, the account able
    // to sign in) and, if so, its holder's claims.
    let holder = match grants::active_holder(&mut conn, &grant).await {
        Ok(Some(holder)) => holder,
        Ok(None) => return challenge("invalid_token", "the access token is invalid"),
        Err(_) => return unavailable(),
    };
    drop(conn);
    let all = all_claims(holder, &claims.sub);
    let body = pick(&all, |name| {
        name == "sub" || scope_asks(&claims.scope, name) || claims.userinfo_claims.iter().any(|c| c == name)
    });
    let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    state
        .userinfo_cache
        .insert(token, subject, claims.exp, body.clone(), epoch);
    answer(body)
}

/// 503 with `Retry-After`: the database could not be asked, which says nothing of the token.
fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, infra::http::RETRY_AFTER_SECONDS.to_string()))
        .finish()
}

fn answer(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(body)
}

/// The claims each scope value asks for (OIDC Core §5.4), and ours: `contact_number` (the fan's
/// S-360 contact, which the ticket shop links to) and `opt_ins` come with `profile`, the scope
/// the shop asks for. Claims we hold no value for (`nickname`, `picture`, …) are never sent.
pub const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "given_name",
            "family_name",
            "locale",
            "birthdate",
            "contact_number",
            "opt_ins",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number"]),
];

/// Whether `claim` is one of the gateway's claims about a fan (those of [`SCOPE_CLAIMS`]).
pub fn known_claim(claim: &str) -> bool {
    SCOPE_CLAIMS.iter().any(|(_, claims)| claims.contains(&claim))
}

/// Whether one of the space-separated `scope` values asks for `claim`.
pub fn scope_asks(scope: &str, claim: &str) -> bool {
    scope.split(' ').any(|value| {
        SCOPE_CLAIMS
            .iter()
            .any(|(scope, claims)| *scope == value && claims.contains(&claim))
    })
}

/// The members of `all` whose name `wanted` accepts.
pub fn pick(
    all: &serde_json::Map<String, serde_json::Value>,
    wanted: impl Fn(&str) -> bool,
) -> serde_json::Map<String, serde_json::Value> {
    all.iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// Every claim of `subject` (`sub` included), from the account and the contact mirror; `None`
/// when the account is gone or its contact is merged or anonymised. Callers [`pick`] what the
/// request may see.
pub async fn claims_of(
    conn: &mut AsyncPgConnection,
    subject: uuid::Uuid,
    sub: &str,
) -> QueryResult<Option<serde_json::Map<String, serde_json::Value>>> {
    Ok(grants::holder(conn, subject)
        .await?
        .map(|holder| all_claims(holder, sub)))
}

/// Every claim of `holder` (`sub` included).
fn all_claims(holder: Holder, sub: &str) -> serde_json::Map<String, serde_json::Value> {
    let Holder {
        login_email: email,
        email_verified: verified,
        contact_number: number,
        given_name,
        family_name,
        language,
        contact,
    } = holder;
    let mut body = serde_json::json!({
        "sub": sub,
        "email": email,
        "email_verified": verified,
        "contact_number": number,
    });
    if let Some(contact) = contact {
        let (given, family) = (contact.first_name, contact.last_name);
        body["given_name"] = given.clone().into();
        body["family_name"] = family.clone().into();
        body["name"] = match (given, family) {
            (Some(g), Some(f)) => format!("{g} {f}").into(),
            (g, f) => g.or(f).into(),
        };
        body["locale"] = contact.language.into();
        body["birthdate"] = contact.birth_date.map(|d| d.to_string()).into();
        body["phone_number"] = contact.phone.into();
        body["address"] = main_address(&contact.addresses);
        body["opt_ins"] = contact
            .authorizations
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|a| {
                        Some((
                            a["code"].as_str()?.to_owned(),
                            serde_json::Value::Bool(a["allowed"].as_bool()?),
                        ))
                    })
                    .collect::<serde_json::Map<_, _>>()
            })
            .map(serde_json::Value::Object)
            .unwrap_or_default();
    } else {
        let (given, family) = (given_name, family_name);
        body["name"] = match (&given, &family) {
            (Some(g), Some(f)) => format!("{g} {f}").into(),
            (g, f) => g.clone().or(f.clone()).into(),
        };
        body["given_name"] = given.into();
        body["family_name"] = family.into();
        body["locale"] = language.into();
    }
    // Absent claims are left out rather than sent as null (OIDC Core §5.3.2).
    let serde_json::Value::Object(mut all) = body else {
        return serde_json::Map::new();
    };
    all.retain(|_, v| !v.is_null());
    all
}

/// The OIDC `address` claim from the main address (else the first).
fn main_address(addresses: &serde_json::Value) -> serde_json::Value {
    let Some(list) = addresses.as_array() else {
        return serde_json::Value::Null;
    };
    let main = list.iter().find(|a| a["main"] == true);
    let Some(address) = main.or_else(|| <[serde_json::Value]>::first(list)) else {
        return serde_json::Value::Null;
    };
    let street = address["lines"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("\n"));
    let mut claim = serde_json::json!({
        "street_address": street.filter(|s| !s.is_empty()),
        "postal_code": address["zip_code"],
        "locality": address["town"],
        "country": address["country_code"],
    });
    // Members without a value are left out too (§5.1.1 wants strings where present).
    if let Some(members) = claim.as_object_mut() {
        members.retain(|_, v| v.is_string());
        if members.is_empty() {
            return serde_json::Value::Null;
        }
    }
    claim
}

/// The access token, from the `Authorization: Bearer` header (RFC 6750 §2.1) or the
/// `access_token` member of a form-encoded POST body (§2.2); using both is refused (§2).
fn bearer_token(req: &HttpRequest, body: &[u8]) -> Result<Option<String>, &'static str> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned());
    let form = req.method() == actix_web::http::Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let posted = if form {
        let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8")?;
        let fields = crate::routes::params::parse(text).map_err(|_| "a form parameter is repeated")?;
        fields.get("access_token").cloned()
    } else {
        None
    };
    match (header, posted) {
        (Some(_), Some(_)) => Err("send the access token in one place only"),
        (header, posted) => Ok(header.or(posted)),
    }
}

/// 400 `invalid_request` (RFC 6750 §3.1).
fn refused(description: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer error=\"invalid_request\", error_description=\"{description}\""),
        ))
        .json(serde_json::json!({ "error": "invalid_request", "error_description": description }))
}

/// 401 with `WWW-Authenticate: Bearer error=...` (RFC 6750 §3).
fn challenge(error: &str, description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer error=\"{error}\", error_description=\"{description}\""),
        ))
        .json(serde_json::json!({ "error": error, "error_description": description }))
}
