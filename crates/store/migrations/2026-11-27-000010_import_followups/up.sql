-- What an import owes each account it created, a set-your-password mail and an S-360
-- `addLink`, kept as one row per committed chunk of accounts instead of a token, a mail and a
-- link row per contact: the running worker expands a row into first-password tokens and
-- mails, and into `import_links`, when those queues run low (`followups.rs`). The import then
-- writes two tables per contact, and each link works its full lifetime from the moment its
-- mail is queued for sending rather than from the import.
CREATE TABLE import_followups (
    id            bigserial   PRIMARY KEY,
    run_id        bigint      NOT NULL REFERENCES import_runs ON DELETE CASCADE,
    subject_ids   uuid[]      NOT NULL,
    -- The gateway's public base URL and the link lifetime the import was given.
    link_base     text        NOT NULL,
    link_lifetime interval    NOT NULL,
    mails_pending boolean     NOT NULL DEFAULT true,
    links_pending boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_followups_mails_idx ON import_followups (id) WHERE mails_pending;
CREATE INDEX import_followups_links_idx ON import_followups (id) WHERE links_pending;
