-- Authentication state of the OpenID Connect provider (written by auth-gateway only): single-use
-- authorization codes, and failed-login counters for throttling. Secrets are stored hashed.

CREATE TABLE authorization_codes (
    code_hash      bytea       PRIMARY KEY,
    client_id      text        NOT NULL,
    subject_id     uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    session_id     bytea       REFERENCES sessions ON DELETE CASCADE,
    redirect_uri   text        NOT NULL,
    scope          text        NOT NULL,
    nonce          text,
    code_challenge text,
    auth_time      timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX authorization_codes_expiry_idx ON authorization_codes (expires_at);

-- Refresh tokens issued from a code, so a replayed code revokes them (RFC 6749 §4.1.2).
ALTER TABLE refresh_tokens ADD COLUMN code_hash bytea;
ALTER TABLE refresh_tokens ADD COLUMN scope text NOT NULL DEFAULT 'openid';
ALTER TABLE refresh_tokens ADD COLUMN auth_time timestamptz NOT NULL DEFAULT now();
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Failed sign-ins per account (`account:<e-mail>`) and per source address (`address:<ip>`).
CREATE TABLE login_throttle (
    key          text        PRIMARY KEY,
    failures     integer     NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
