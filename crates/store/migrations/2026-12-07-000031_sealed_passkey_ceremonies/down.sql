DROP TABLE passkey_ceremonies_spent;

CREATE TABLE passkey_challenges (
    binding_hash bytea       PRIMARY KEY,
    purpose      text        NOT NULL CHECK (purpose IN ('enrol', 'sign-in')),
    session_id   bytea       REFERENCES sessions ON DELETE CASCADE,
    subject_id   uuid        REFERENCES accounts ON DELETE CASCADE,
    state        jsonb       NOT NULL,
    detail       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CHECK ((purpose = 'enrol') = (session_id IS NOT NULL AND subject_id IS NOT NULL))
);
CREATE INDEX passkey_challenges_expiry_idx ON passkey_challenges (expires_at);
