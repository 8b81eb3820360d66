-- Back-channel logout deliveries (OIDC Back-Channel Logout 1.0), an outbox written in the same
-- transaction as the end of a session, by whichever service ends it (the gateway at sign-out or
-- a password change, the worker at a merge or anonymisation); the gateway signs and delivers
-- them. One row per (session, client that signed the fan in during it). No foreign keys: the
-- session and the account may be deleted before the delivery is made.

CREATE TABLE logout_deliveries (
    id              bigserial   PRIMARY KEY,
    client_id       text        NOT NULL,
    subject_id      uuid        NOT NULL,
    sid             text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    -- 'pending', 'delivered', 'skipped' (the client has no back-channel URI), 'failed' (given up).
    state           text        NOT NULL DEFAULT 'pending',
    last_error      text,
    UNIQUE (sid, client_id)
);
CREATE INDEX logout_deliveries_due_idx ON logout_deliveries (next_attempt_at) WHERE state = 'pending';

-- The clients a session signed the fan in to: the codes issued in it.
CREATE INDEX authorization_codes_session_idx ON authorization_codes (session_id);
