-- E-mail code sign-in (`store::auth::email_codes`): a fan asks for a one-time code, mailed with
-- a link that carries it, and signs in by typing it (or following the link) in the browser that
-- asked. One row per request of a browser: `binding_hash` is the SHA-256 of the random binding
-- cookie (`__Host-code-binding`) set on that browser, and `code_mac` the HMAC-SHA256 of the code keyed
-- with that cookie's secret, which the database never sees: a dump alone cannot recover a code,
-- and a code is worth nothing without the browser that asked for it. Written by auth-gateway
-- only. A row is spent at its first right code (`used_at`), burned after 5 wrong ones, retired
-- when a newer code is issued for the account, and deleted an hour after it was created (when
-- the account asks for another); at most 3 are issued per account per hour.
CREATE TABLE email_codes (
    binding_hash bytea       PRIMARY KEY,
    subject_id   uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    code_mac     bytea       NOT NULL,
    -- Where the fan goes once signed in: one of the gateway's own pages or authorization
    -- requests (checked when stored and again when used).
    return_to    text        NOT NULL,
    -- Wrong codes tried with this binding; the code is burned at 5.
    attempts     integer     NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX email_codes_subject_idx ON email_codes (subject_id, created_at);

-- How each session was opened, so the ID token's `amr` (RFC 8176) says it: `pwd` (the account's
-- password) or `otp` (a single-use secret mailed to the login address: an e-mail code, or the
-- sign-up's verification link). Sessions opened before this migration were all password ones.
ALTER TABLE sessions ADD COLUMN auth_method text NOT NULL DEFAULT 'pwd'
    CHECK (auth_method IN ('pwd', 'otp'));
-- A code carries its session's method to the token endpoint, as it carries `auth_time`.
ALTER TABLE authorization_codes ADD COLUMN auth_method text NOT NULL DEFAULT 'pwd'
    CHECK (auth_method IN ('pwd', 'otp'));
