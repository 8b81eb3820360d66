-- The initial import and what follows it: one row per import run (its progress, so a killed
-- run resumes where it stopped, and its counts), the contacts it could not give an account
-- (duplicate login e-mails, addresses taken), the S-360 `addLink` calls still to make, and
-- when each contact was last re-checked against S-360 (reconciliation).

CREATE TABLE import_runs (
    id          bigserial   PRIMARY KEY,
    -- What was imported: the file's path, size and modification time (a changed file is a
    -- new run).
    source_key  text        NOT NULL,
    format      text        NOT NULL,
    total       bigint      NOT NULL DEFAULT 0,
    -- Records of the file fully applied (in file order); a resumed run skips them.
    position    bigint      NOT NULL DEFAULT 0,
    counts      jsonb       NOT NULL DEFAULT '{}',
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX import_runs_open_idx ON import_runs (source_key) WHERE finished_at IS NULL;

-- Contacts of a run that got no account, and why (numbers only: no e-mail is stored here;
-- `email_group` numbers the contacts sharing one login e-mail within the run).
CREATE TABLE import_issues (
    run_id         bigint      NOT NULL REFERENCES import_runs ON DELETE CASCADE,
    contact_number varchar(20) NOT NULL,
    reason         text        NOT NULL CHECK (reason IN ('duplicate_email', 'email_taken')),
    email_group    text,
    PRIMARY KEY (run_id, contact_number)
);

-- The SSO link each imported account needs in S-360 (`addLink`), made at the API's rate by
-- the running worker; the outcome is kept per contact.
CREATE TABLE import_links (
    contact_number  varchar(20) PRIMARY KEY,
    subject_id      uuid        NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'linked', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz
);
CREATE INDEX import_links_due_idx ON import_links (next_attempt_at) WHERE state = 'pending';

-- When reconciliation last compared a contact with S-360 (oldest first), and what it found.
CREATE TABLE contact_checks (
    contact_number varchar(20) PRIMARY KEY,
    verified_at    timestamptz NOT NULL,
    outcome        text        NOT NULL
);
CREATE INDEX contact_checks_verified_idx ON contact_checks (verified_at);

-- The S-360 modification time a pushed profile change produced: a later change of the same
-- contact, edited before this push, builds on it rather than conflicting with it.
ALTER TABLE writeback_outbox ADD COLUMN pushed_modified_at timestamptz;
