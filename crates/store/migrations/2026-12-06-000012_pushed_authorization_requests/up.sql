-- Pushed authorization requests (RFC 9126), written by auth-gateway only: the parameters a
-- client posted to /par, kept until the authorization they start issues a code or they expire.
-- The request_uri is stored hashed, like codes.

CREATE TABLE pushed_authorization_requests (
    request_uri_hash bytea       PRIMARY KEY,
    client_id        text        NOT NULL,
    parameters       jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX pushed_authorization_requests_expiry_idx ON pushed_authorization_requests (expires_at);
