//! Authentication state: the tables `auth-gateway` writes, and nothing else it may write.
//! Each module holds one table's queries (sessions, authorization codes, refresh tokens,
//! revoked access tokens, sign-in throttling, set-password links, e-mail sign-in codes, passkeys
//! and their ceremonies answered, social sign-in's linked identities and requests under way,
//! pushed authorization requests, back-channel logouts owed, erasure requests, the accounts fans
//! create and their requests for an S-360 contact, the fans' sign-in history, staff sign-in
//! codes) or, for [`accounts`], the
//! credential columns of `accounts` and the reads a sign-in needs; [`method`] says how a session
//! was opened. Contact data is only read
//! here (an account signs in while its contact is absent or active); `sync-worker` alone
//! writes it.

pub mod accounts;
pub mod codes;
pub mod email_change;
pub mod email_codes;
pub mod erasure;
pub mod export;
pub mod federation;
pub mod grants;
pub mod logouts;
pub mod mail_language;
pub mod method;
pub mod passkey_ceremonies;
pub mod passkey_sign_in;
pub mod passkeys;
pub mod password_tokens;
pub mod pushed_requests;
pub mod refresh_tokens;
pub mod revoked_tokens;
pub mod sessions;
pub mod sign_in_audit;
pub mod signup;
pub mod staff;
pub mod throttle;

/// Whether this call is one in `every` (a power of two up to 128), at random: the writes that
/// also clear expired rows of their table do so this often, so that the clearing needs no
/// schedule and is spread over the replicas.
fn one_in(every: u8) -> bool {
    uuid::Uuid::new_v4().as_bytes()[0].is_multiple_of(every)
}
