//! Social sign-in (identity brokering): "Continue with Google / Apple / Microsoft / any OpenID
//! provider" on the sign-in page. The gateway is the upstream provider's relying party
//! (`crate::federation`, the `openidconnect` crate) and stays the shop's provider: the fan's session
//! here is opened with `amr: ["fed"]` (RFC 8176), and the shop sees our account, never the
//! upstream's.
//!
//! The way through (`flow.rs`): `/login/social/<id>` stores the request (state, nonce, PKCE
//! verifier, where the fan was going) in PostgreSQL under a fresh browser binding
//! (`federation::binding`) and sends the fan upstream; `/login/social/<id>/callback` (GET, or Apple's
//! `form_post` POST) takes that request once (a replayed callback finds it spent), checks the
//! state in constant time, exchanges the code and checks the ID token. Then, by the linking
//! rules (docs/identity-provider.md, "Social sign-in"):
//!
//! - a linked (provider, `sub`) signs in to its account;
//! - otherwise the upstream's address counts only if the provider says it is verified AND the
//!   provider is trusted for addresses (`trust_email`); else nothing is linked or created, and
//!   the fan is told to use the e-mail address;
//! - a verified address that has an account is never linked on its own: the fan must sign in
//!   to THAT account, in this browser, within 10 minutes (`federation::pending`), and only then is the
//!   identity linked;
//! - a verified address without an account leads to the sign-up form, without a password and
//!   prefilled from the upstream's claims (`signup.rs`): the account is created verified and
//!   asks for its S-360 contact exactly as a sign-up's does.
//!
//! The profile page lists linked providers; one can be unlinked while another way in remains
//! (`unlink.rs`).

mod flow;
mod link;
mod page;
mod rules;
mod signup;
mod unlink;
mod words;

pub use flow::{callback_get, callback_post, start};
pub use signup::{signup_form, signup_submit};
pub use unlink::{linked_section, unlink};
