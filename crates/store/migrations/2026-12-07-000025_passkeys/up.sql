-- Passkeys (WebAuthn, `store::auth::passkeys`): a fan's credentials, several per account, each
-- named by the fan. `credential` is the webauthn-rs `Passkey` as its own serde JSON (public key,
-- signature counter, backup-eligible and backup-state flags), rewritten after every use; the
-- counter and the flags are also columns, so that the database refuses a counter going
-- backwards between two replicas verifying at the same time (`sign_count` only grows). Written
-- by auth-gateway only; removed with the account.
CREATE TABLE passkeys (
    id             uuid        PRIMARY KEY,
    subject_id     uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    -- The authenticator's credential id (raw bytes): one account's, once.
    credential_id  bytea       NOT NULL UNIQUE,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    credential     jsonb       NOT NULL,
    sign_count     bigint      NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    backup_eligible boolean    NOT NULL,
    backup_state   boolean     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz
);
CREATE INDEX passkeys_subject_idx ON passkeys (subject_id, created_at);

-- A WebAuthn ceremony under way: the server side of one enrolment or sign-in (the webauthn-rs
-- registration or authentication state, with its challenge), held in the database because
-- several gateway replicas answer one browser. Keyed by the SHA-256 of a random cookie
-- (`__Host-passkey-challenge`) set on the browser that started it; an enrolment also names its
-- session. Taken (deleted) at its first use, right or wrong; good for 5 minutes.
CREATE TABLE passkey_challenges (
    binding_hash bytea       PRIMARY KEY,
    purpose      text        NOT NULL CHECK (purpose IN ('enrol', 'sign-in')),
    -- The enrolling session (its id, the SHA-256 of its cookie) and account.
    session_id   bytea       REFERENCES sessions ON DELETE CASCADE,
    subject_id   uuid        REFERENCES accounts ON DELETE CASCADE,
    state        jsonb       NOT NULL,
    -- Where the fan goes once signed in (one of the gateway's own pages or authorization
    -- requests), or the name of the passkey being enrolled.
    detail       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CHECK ((purpose = 'enrol') = (session_id IS NOT NULL AND subject_id IS NOT NULL))
);
CREATE INDEX passkey_challenges_expiry_idx ON passkey_challenges (expires_at);

-- Sessions opened with a passkey (RFC 8176): `hwk` a hardware-bound key, `swk` a synced one
-- (backup-eligible); both with user verification, so the ID token's `amr` adds `user`.
ALTER TABLE sessions DROP CONSTRAINT sessions_auth_method_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp', 'hwk', 'swk'));
ALTER TABLE authorization_codes DROP CONSTRAINT authorization_codes_auth_method_check;
ALTER TABLE authorization_codes ADD CONSTRAINT authorization_codes_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp', 'hwk', 'swk'));
