-- Single-use links to set a password: `reset` (forgotten password, 60 minutes) and `first` (an
-- imported account's first password, 72 hours). Only the SHA-256 of the token is stored.
CREATE TABLE password_tokens (
    token_hash bytea       PRIMARY KEY,
    subject_id uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('reset', 'first')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_tokens_subject_idx ON password_tokens (subject_id);
