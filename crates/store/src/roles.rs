//! Least privilege for `auth-gateway`'s and `support-console`'s database roles. The gateway reads every table (claims,
//! the profile page, the export) and writes only the authentication state that `store::auth`
//! writes; everything else (contacts, the mail and write-back queues, the import, the S-360
//! budget and schedules) it may not change. `sync-worker migrate --gateway-role <role>` applies
//! [`grant_gateway`] after the migrations, so a new table is covered by the same release that
//! adds it; the role itself (with LOGIN and its password) is the database administrator's.

use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Tables the gateway writes, and how (the functions of `store::auth`). The layout test keeps
/// the gateway's writes inside `store::auth`; this list is what the database enforces.
pub const GATEWAY_WRITES: &[(&str, &str)] = &[
    // Sign-up creates accounts, credentials and verification change them, deletion removes them.
    ("accounts", "INSERT, UPDATE, DELETE"),
    ("sessions", "INSERT, UPDATE, DELETE"),
    ("authorization_codes", "INSERT, UPDATE, DELETE"),
    ("claims_requests", "INSERT, DELETE"),
    ("refresh_tokens", "INSERT, UPDATE, DELETE"),
    ("revoked_tokens", "INSERT, DELETE"),
    ("login_throttle", "INSERT, UPDATE, DELETE"),
    ("password_tokens", "INSERT, UPDATE, DELETE"),
    ("email_codes", "INSERT, UPDATE, DELETE"),
    ("federated_identities", "INSERT, UPDATE, DELETE"),
    ("federation_requests", "INSERT, UPDATE, DELETE"),
    ("passkeys", "INSERT, UPDATE, DELETE"),
    ("passkey_ceremonies_spent", "INSERT, DELETE"),
    ("pushed_authorization_requests", "INSERT, UPDATE, DELETE"),
    ("logout_deliveries", "INSERT, UPDATE, DELETE"),
    ("erasure_requests", "INSERT"),
    ("contact_creations", "INSERT"),
    ("account_issues", "INSERT"),
    // Staff sign-in: the TOTP step last used, the codes it issues; fans' sign-in history.
    ("staff_accounts", "UPDATE"),
    ("staff_authorization_codes", "INSERT, UPDATE, DELETE"),
    ("sign_in_audit", "INSERT, DELETE"),
];

/// Tables the support console writes: its own (the audit only appended to), the
/// authentication state its actions change through `store::auth` (lifting a lock, revoking
/// sessions, which queues back-channel logouts), the bookkeeping of the fan's S-360 tasks and
/// the completion of erasure requests. Contacts and the worker's queues' content it only reads.
pub const CONSOLE_WRITES: &[(&str, &str)] = &[
    // `support-console staff add`: there is no other way in.
    ("staff_accounts", "INSERT"),
    ("staff_sessions", "INSERT, UPDATE"),
    ("staff_audit", "INSERT"),
    ("login_throttle", "DELETE"),
    ("sessions", "UPDATE"),
    ("refresh_tokens", "UPDATE"),
    ("logout_deliveries", "INSERT"),
    // Resending a set-password link: a new link, the older ones spent.
    ("password_tokens", "INSERT, UPDATE"),
    // Only to lock the account's row while a link is issued (`SELECT … FOR UPDATE` needs an
    // UPDATE privilege on a column): no column a fan or the gateway reads.
    ("accounts", "UPDATE (updated_at)"),
    // The fan's S-360 tasks (`store::console::tasks`): a failed one made due again, a write-back
    // conflict dismissed or queued again on S-360's version. Only the worker's bookkeeping
    // columns; never what is pushed (`fields`), nor a row added or removed.
    (
        "writeback_outbox",
        "UPDATE (state, attempts, next_attempt_at, last_error, completed_at, base_modified_at)",
    ),
    (
        "contact_creations",
        "UPDATE (state, attempts, next_attempt_at, last_error, updated_at)",
    ),
    (
        "import_links",
        "UPDATE (state, attempts, next_attempt_at, last_error, completed_at)",
    ),
    // An erasure request marked completed (`store::console::erasures`): who and when.
    ("erasure_requests", "UPDATE (completed_at, completed_by)"),
    // Asking the worker for a replay: the run's row, which the worker then runs and updates.
    ("replay_runs", "INSERT"),
];

/// Whether `role` is a plain lower-case SQL identifier (it is spliced into GRANT statements).
pub fn is_role_name(role: &str) -> bool {
    let mut chars = role.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && role.len() <= 63
}

/// Grants `role` exactly the gateway's privileges on the current database's `public` schema,
/// revoking whatever it held before. Run it as the schema's owner, in a transaction.
pub async fn grant_gateway(conn: &mut AsyncPgConnection, role: &str) -> anyhow::Result<()> {
    grant(conn, role, GATEWAY_WRITES).await
}

/// Grants `role` exactly the support console's privileges ([`CONSOLE_WRITES`]), as
/// [`grant_gateway`] does for the gateway.
pub async fn grant_console(conn: &mut AsyncPgConnection, role: &str) -> anyhow::Result<()> {
    grant(conn, role, CONSOLE_WRITES).await
}

/// Reading every table, writing only `writes`, whatever `role` held before.
async fn grant(conn: &mut AsyncPgConnection, role: &str, writes: &[(&str, &str)]) -> anyhow::Result<()> {
    anyhow::ensure!(is_role_name(role), "the role must be a plain lower-case identifier");
    let mut statements = vec![
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"{role}\""),
        format!("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM \"{role}\""),
        format!("GRANT USAGE ON SCHEMA public TO \"{role}\""),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{role}\""),
        // bigserial ids of the tables it inserts into.
        format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \"{role}\""),
    ];
    for (table, privileges) in writes {
        statements.push(format!("GRANT {privileges} ON \"{table}\" TO \"{role}\""));
    }
    for statement in statements {
        diesel::sql_query(statement).execute(conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_identifiers_are_role_names() {
        for good in ["auth_gateway", "_gw", "gateway2"] {
            assert!(is_role_name(good), "{good}");
        }
        for bad in [
            "",
            "Auth",
            "2gw",
            "gw\"; DROP TABLE accounts; --",
            "gw-1",
            &"a".repeat(64),
        ] {
            assert!(!is_role_name(bad), "{bad}");
        }
    }
}
