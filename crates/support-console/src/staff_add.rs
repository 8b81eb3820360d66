//! `support-console staff add`: creates a staff account (argon2id password hash, as the
//! gateway's own, and a fresh TOTP secret) and returns the TOTP provisioning URI to show the
//! new staff member once. Staff never sign up: this is the only way in.

use std::io::BufRead;

use argon2::{PasswordHasher, password_hash::SaltString};
use secrecy::{ExposeSecret, SecretString};
use store::console::staff::{NewStaff, create};

use crate::cli::{Settings, StaffAddArgs};

/// Shortest staff password accepted (the TOTP code is the second factor, not a substitute).
pub const MIN_PASSWORD_CHARS: usize = 12;

pub async fn run(settings: &Settings, args: &StaffAddArgs) -> anyhow::Result<String> {
    let password = match &args.password {
        Some(password) => password.clone(),
        None => read_password_line()?,
    };
    let email = args.email.trim();
    anyhow::ensure!(
        email.contains('@') && !email.contains(char::is_whitespace),
        "--email must be an e-mail address"
    );
    anyhow::ensure!(!args.name.trim().is_empty(), "--name must not be empty");
    let password_hash = hash_password(password.expose_secret())?;
    let secret = store::totp::new_secret().ok_or_else(|| anyhow::anyhow!("no system randomness"))?;
    let pool = infra::db::pool(&settings.database)?;
    let mut conn = pool.get().await?;
    let new = NewStaff {
        email,
        name: args.name.trim(),
        role: args.role,
        password_hash: &password_hash,
        totp_secret: &secret,
    };
    let Some(staff_id) = create(&mut conn, &new).await? else {
        anyhow::bail!("a staff account with this e-mail address exists already");
    };
    let uri = store::totp::provisioning_uri(&secret, &args.totp_issuer, email);
    Ok(format!(
        "staff account {staff_id} created ({role})\ntotp_uri: {uri}\n(shown once: add it to the staff member's authenticator app)",
        role = args.role.as_str()
    ))
}

/// An argon2id PHC string with the library's defaults, which are the gateway's (OWASP's
/// m=19456 KiB, t=2, p=1): the gateway verifies it like a fan's.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        password.chars().count() >= MIN_PASSWORD_CHARS,
        "the password must have at least {MIN_PASSWORD_CHARS} characters"
    );
    let mut salt = [0u8; 16];
    infra::secrets::random_bytes(&mut salt).ok_or_else(|| anyhow::anyhow!("no system randomness"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(hash.to_string())
}

fn read_password_line() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password: set STAFF_PASSWORD or write it on standard input"
    );
    Ok(SecretString::from(password))
}
