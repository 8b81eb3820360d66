//! A passkey ceremony under way, carried by the browser that started it: the webauthn-rs
//! state (which holds the challenge), what the ceremony is for and until when, sealed with the
//! key manifest's sealing key (`keys::Sealer`, AES-256-GCM) into the cookie
//! `__Host-passkey-challenge` (HttpOnly, Secure, SameSite=Strict: only the gateway's own pages
//! call the ceremony endpoints; Path=/, no Domain). Starting a ceremony writes nothing to the
//! database, and any replica can open the cookie another sealed. The browser can neither read
//! the challenge nor change a byte of it.
//!
//! Each ceremony has an id of its own (a UUIDv7); its first answer spends it
//! (`store::auth::passkey_ceremonies`), right or wrong, so an answer replayed with the same
//! cookie is refused. An enrolment also names its session and account, and is refused in any
//! other. A ceremony is good for 5 minutes ([`LIFETIME`]).

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};
pub use store::auth::passkey_ceremonies::LIFETIME;
use uuid::Uuid;

use crate::keys::Sealer;

pub const NAME: &str = "__Host-passkey-challenge";
/// The sealed value's associated data: a value sealed for anything else does not open here.
const PURPOSE: &str = "passkey-ceremony";

/// What a ceremony is for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Purpose {
    /// A signed-in fan adds a passkey: the session (its id) and account it is for.
    Enrol { session: Vec<u8>, subject: Uuid },
    /// Signing in with a discoverable credential.
    SignIn,
}

/// A ceremony; `S` is the webauthn-rs state (`DiscoverableAuthentication` or
/// `PasskeyRegistration`).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Ceremony<S> {
    pub id: Uuid,
    pub purpose: Purpose,
    pub state: S,
    /// Where to go once signed in (sign-in) or the passkey's name (enrolment).
    pub detail: String,
    pub expires_at: DateTime<Utc>,
}

impl<S: Serialize + DeserializeOwned> Ceremony<S> {
    /// A new ceremony, expiring [`LIFETIME`] from now.
    pub fn new(purpose: Purpose, state: S, detail: String) -> Self {
        Self {
            id: store::auth::passkey_ceremonies::new_id(),
            purpose,
            state,
            detail,
            expires_at: Utc::now() + LIFETIME,
        }
    }

    /// The cookie carrying it; `None` without a sealing key or randomness.
    pub fn cookie(&self, sealer: &Sealer) -> Option<Cookie<'static>> {
        let sealed = sealer.seal(PURPOSE, &serde_json::to_vec(self).ok()?)?;
        Some(crate::host_cookie::build(NAME, sealed, SameSite::Strict, LIFETIME))
    }

    /// The request's ceremony: `None` without the cookie, or one that does not open, is of
    /// another kind, or has expired.
    pub fn of_request(req: &HttpRequest, sealer: &Sealer) -> Option<Self> {
        let cookie = req.cookie(NAME)?;
        let opened = sealer.open(PURPOSE, cookie.value())?;
        let ceremony: Self = serde_json::from_slice(&opened).ok()?;
        (ceremony.expires_at > Utc::now()).then_some(ceremony)
    }
}

/// Whether browsers keep `cookie`: RFC 6265 §6.1 asks them for 4,096 bytes of name, value and
/// attributes, and no more is certain. An enrolment's ceremony holds the account's passkey ids;
/// at the limit of 20 passkeys with ids of 64 bytes it takes about 3,600.
pub fn fits(cookie: &Cookie<'_>) -> bool {
    cookie.to_string().len() <= 4_096
}

/// A cookie that removes the ceremony (it is over).
pub fn removal() -> Cookie<'static> {
    crate::host_cookie::removal(NAME, SameSite::Strict)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;
    use crate::keys::{KeyState, SealingEntry};

    fn sealer() -> Sealer {
        Sealer::from_entries(&[SealingEntry {
            kid: "test".into(),
            state: KeyState::Active,
            secret: crate::keys::new_sealing_secret().expect("randomness"),
        }])
        .expect("sealer")
    }

    fn request_with(cookie: &Cookie<'static>) -> HttpRequest {
        TestRequest::default()
            .cookie(Cookie::new(NAME, cookie.value().to_owned()))
            .to_http_request()
    }

    #[test]
    fn a_ceremony_travels_sealed_in_a_strict_host_cookie_and_comes_back_whole() {
        let sealer = sealer();
        let ceremony = Ceremony::new(Purpose::SignIn, "challenge-state".to_owned(), "/authorize?x".into());
        let cookie = ceremony.cookie(&sealer).expect("cookie");
        let text = cookie.to_string();
        for attribute in [
            "__Host-passkey-challenge=",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=300",
        ] {
            assert!(text.contains(attribute), "{attribute}: {text}");
        }
        assert!(!text.contains("Domain") && !text.contains("challenge-state") && !text.contains("authorize"));
        let back = Ceremony::<String>::of_request(&request_with(&cookie), &sealer).expect("opens");
        assert_eq!(
            (back.id, back.purpose, back.state, back.detail),
            (ceremony.id, Purpose::SignIn, ceremony.state, ceremony.detail)
        );
        assert_ne!(Ceremony::new(Purpose::SignIn, (), String::new()).id, ceremony.id);
    }

    #[test]
    fn the_largest_enrolment_fits_in_a_cookie() {
        // An account at its passkey limit, each credential id 64 bytes (what platform
        // authenticators and security keys issue for discoverable credentials): the browser
        // keeps cookies of up to 4,096 bytes, name and attributes included.
        let origin = url::Url::parse("https://login.example.org").expect("url");
        let webauthn = webauthn_rs::WebauthnBuilder::new("example.org", &origin)
            .expect("relying party")
            .build()
            .expect("relying party");
        let exclude: Vec<webauthn_rs::prelude::CredentialID> = (0..store::auth::passkeys::PER_ACCOUNT)
            .map(|n| vec![n as u8; 64].into())
            .collect();
        let (_, registration) = webauthn
            .start_passkey_registration(Uuid::new_v4(), "fan@example.org", "fan@example.org", Some(exclude))
            .expect("started");
        let purpose = Purpose::Enrol {
            session: vec![0xab; 32],
            subject: Uuid::new_v4(),
        };
        let name = "é".repeat(store::auth::passkeys::NAME_MAX);
        let cookie = Ceremony::new(purpose, registration, name)
            .cookie(&sealer())
            .expect("cookie");
        assert!(fits(&cookie), "{} bytes", cookie.to_string().len());
        let mut longer = cookie.clone();
        longer.set_value("x".repeat(4_096));
        assert!(!fits(&longer));
    }

    #[test]
    fn an_expired_or_foreign_ceremony_is_none() {
        let sealer = sealer();
        let mut ceremony = Ceremony::new(Purpose::SignIn, (), String::new());
        ceremony.expires_at = Utc::now() - chrono::Duration::seconds(1);
        let expired = ceremony.cookie(&sealer).expect("cookie");
        assert!(Ceremony::<()>::of_request(&request_with(&expired), &sealer).is_none());
        let live = Ceremony::new(Purpose::SignIn, (), String::new())
            .cookie(&sealer)
            .expect("cookie");
        assert!(
            Ceremony::<()>::of_request(&request_with(&live), &self::sealer()).is_none(),
            "another key"
        );
        assert!(Ceremony::<()>::of_request(&TestRequest::default().to_http_request(), &sealer).is_none());
    }
}
