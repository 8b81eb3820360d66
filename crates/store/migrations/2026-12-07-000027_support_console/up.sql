-- The support console (`crates/support-console`): staff accounts, separate from fans; the codes
-- the gateway issues when a staff member signs in to the console (its OIDC client); the
-- console's own sessions; the append-only audit of everything staff do; the fans' sign-in
-- history; and the indexes the console's search runs on.

-- A member of the club's staff. Never a fan: the gateway's fan sign-in never reads this table,
-- and a staff sign-in never reads `accounts`. `totp_secret` is the RFC 6238 shared secret (20
-- random bytes); `totp_last_step` the time step of the last code accepted, so a code is
-- accepted once. Created by `support-console staff add`.
CREATE TABLE staff_accounts (
    staff_id       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text        NOT NULL,
    name           text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('viewer', 'support', 'admin')),
    password_hash  text        NOT NULL,
    totp_secret    bytea       NOT NULL,
    totp_last_step bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    disabled_at    timestamptz
);
CREATE UNIQUE INDEX staff_accounts_email_idx ON staff_accounts (lower(email));

-- Single-use authorization codes of staff sign-ins (a staff client of the gateway): like
-- `authorization_codes`, but naming a staff account, and with the role and the methods
-- (`pwd`, `otp`) the ID token states. No session at the gateway: every console sign-in asks
-- for the password and a TOTP code. Written by auth-gateway only.
CREATE TABLE staff_authorization_codes (
    code_hash      bytea       PRIMARY KEY,
    client_id      text        NOT NULL,
    staff_id       uuid        NOT NULL REFERENCES staff_accounts ON DELETE CASCADE,
    redirect_uri   text        NOT NULL,
    nonce          text,
    code_challenge text        NOT NULL,
    auth_time      timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX staff_authorization_codes_expiry_idx ON staff_authorization_codes (expires_at);

-- The console's sessions, keyed by the SHA-256 of the cookie value. `auth_time` is when the
-- staff member last proved password and TOTP at the gateway (a destructive action wants it
-- recent); `role` is the one the ID token stated. Written by the console only.
CREATE TABLE staff_sessions (
    id           bytea       PRIMARY KEY,
    staff_id     uuid        NOT NULL REFERENCES staff_accounts ON DELETE CASCADE,
    role         text        NOT NULL CHECK (role IN ('viewer', 'support', 'admin')),
    auth_time    timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id);

-- Everything staff do in the console, viewing a fan's personal data included: who, when, what,
-- on whom (a subject id, contact number or queue: never an address or a name) and the outcome.
-- Append-only: the trigger refuses every change and removal, whoever asks; the console's role
-- may only insert and read it (`store::roles`).
CREATE TABLE staff_audit (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    staff_id    uuid        NOT NULL,
    staff_email text        NOT NULL,
    action      text        NOT NULL,
    target      text,
    outcome     text        NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    details     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX staff_audit_at_idx ON staff_audit (at);
CREATE INDEX staff_audit_target_idx ON staff_audit (target, at);

CREATE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'staff_audit is append-only';
END;
$$;
CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit
    FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only();
CREATE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE ON staff_audit
    FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_append_only();

-- Fans' sign-ins at the gateway: `success`, `failure` (a wrong password for a known account) or
-- `locked` (refused because the account or the address is locked). No address, no e-mail: the
-- subject id only. Kept for the retention the gateway purges with (90 days). Written by
-- auth-gateway only.
CREATE TABLE sign_in_audit (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    subject_id uuid        NOT NULL,
    outcome    text        NOT NULL CHECK (outcome IN ('success', 'failure', 'locked'))
);
CREATE INDEX sign_in_audit_subject_idx ON sign_in_audit (subject_id, at);
CREATE INDEX sign_in_audit_at_idx ON sign_in_audit (at);

-- The console's search. E-mail: an exact, case-insensitive match on the contacts (the
-- accounts already have `accounts_login_email_idx`). Names: trigrams on "first last", which
-- answer a substring in any letter case.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_email_lower_idx ON contacts (lower(email));
CREATE INDEX contacts_name_trgm_idx ON contacts
    USING gin ((lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) gin_trgm_ops);
-- A fan's page lists the mails sent to the contact, newest first.
CREATE INDEX mail_outbox_contact_idx ON mail_outbox (contact_number, created_at);
