-- Contact lifecycle (merged into a head, anonymised for good), the web accounts that carry our
-- stable OIDC subject id, the authentication state the gateway keeps for them, the outgoing
-- mail queue, and an audit trail free of personal data.

-- Merged contacts point to the head that absorbed them.
ALTER TABLE contacts ADD COLUMN head_contact_number varchar(20);
ALTER TABLE contacts ADD CONSTRAINT contacts_head_only_when_merged
    CHECK ((state = 'merged') = (head_contact_number IS NOT NULL));

-- A web account: the login of one contact, identified by our own stable subject id (the OIDC
-- `sub`), never by the e-mail or the contact number, which a merge can change. Imported
-- accounts have no password until their owner sets one. `contact_number` is the contact the
-- account signs in as now (a merge moves it to the head); `origin_contact_number` the
-- contact it was created for.
CREATE TABLE accounts (
    subject_id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_number        varchar(20) NOT NULL UNIQUE,
    origin_contact_number varchar(20) NOT NULL,
    login_email    text        NOT NULL,
    password_hash  text,
    email_verified boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_login_email_idx ON accounts (lower(login_email));

-- Browser sessions at the gateway.
CREATE TABLE sessions (
    id           bytea       PRIMARY KEY,
    subject_id   uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_subject_idx ON sessions (subject_id);

-- Refresh tokens (stored hashed), grouped in rotation families.
CREATE TABLE refresh_tokens (
    token_hash  bytea       PRIMARY KEY,
    family_id   uuid        NOT NULL,
    subject_id  uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    client_id   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_subject_idx ON refresh_tokens (subject_id);

-- Mail waiting to be sent (set-your-password, reset, notifications).
CREATE TABLE mail_outbox (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    contact_number varchar(20) NOT NULL,
    recipient      text        NOT NULL,
    template       text        NOT NULL,
    payload        jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (contact_number) WHERE sent_at IS NULL;

-- What the worker did to contacts beyond ordinary updates. No personal data: numbers, kinds
-- and counts only.
CREATE TABLE contact_audit (
    id             bigserial   PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    contact_number varchar(20) NOT NULL,
    action         text        NOT NULL CHECK (action IN ('merged', 'anonymised')),
    event_id       uuid        NOT NULL,
    details        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX contact_audit_contact_idx ON contact_audit (contact_number);
