-- Access tokens revoked before they expire (RFC 7009), by `jti`; rows past `expires_at` can be
-- deleted at any time.
CREATE TABLE revoked_tokens (
    jti        uuid        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);
