-- Fan sign-up: an account may exist before any S-360 contact. Until one is attached, the
-- account keeps the profile the fan gave at sign-up (names, language, consents); once a contact
-- is attached, the contact mirror is the truth and these columns are only the sign-up record.
ALTER TABLE accounts
    ALTER COLUMN contact_number DROP NOT NULL,
    ALTER COLUMN origin_contact_number DROP NOT NULL,
    -- `import`: created for an S-360 contact with a login; `signup`: created by the fan.
    ADD COLUMN origin          text        NOT NULL DEFAULT 'import' CHECK (origin IN ('import', 'signup')),
    ADD COLUMN given_name      text,
    ADD COLUMN family_name     text,
    ADD COLUMN language        varchar(8),
    -- The club's newsletter opt-in (unticked by default); sent to S-360 as an authorization.
    ADD COLUMN newsletter      boolean     NOT NULL DEFAULT false,
    ADD COLUMN privacy_accepted_at timestamptz,
    ADD COLUMN verified_at     timestamptz,
    ADD CONSTRAINT accounts_contact_pair CHECK ((contact_number IS NULL) = (origin_contact_number IS NULL));

-- Verification links share the set-password links' table and rules (hashed, single-use,
-- expiring, counted against the same hourly limit per account).
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check
    CHECK (purpose IN ('reset', 'first', 'verify'));

-- A mail may be for an account that has no contact yet.
ALTER TABLE mail_outbox ALTER COLUMN contact_number DROP NOT NULL;

-- How an account without a contact gets one at S-360, one row per account, written when its
-- address is verified and worked by sync-worker (`CONTACT_CREATION`): first a search by the
-- verified e-mail; exactly one unlinked contact is linked (`email_match`), several are
-- `ambiguous` for an operator to decide. With none, `api` mode creates the contact through the
-- contact API and links it (`api_created`); `shop` mode is `waiting` for the contact the shop
-- creates at the fan's first SSO sign-in, which arrives by webhook naming our subject id
-- (`sso_link`, which also attaches a row in any other state but `attached`).
CREATE TABLE contact_creations (
    subject_id      uuid        PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'waiting', 'attached', 'ambiguous', 'failed')),
    attached_by     text        CHECK (attached_by IN ('sso_link', 'api_created', 'email_match')),
    contact_number  varchar(20),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_creations_due_idx ON contact_creations (next_attempt_at) WHERE state = 'pending';
