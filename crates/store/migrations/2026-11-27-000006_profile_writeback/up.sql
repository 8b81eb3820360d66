-- Profile changes made at the identity provider, waiting to be pushed to S-360 with
-- saveIndividualContactData. `fields` maps S-360 field names to values (`firstname`,
-- `lastname`, `birthDate`, `languageCode`, `cellPhoneNumber`, `addresses`, `authorizations`);
-- `base_modified_at` is S-360's modification time of the mirror row the user edited, so the
-- pusher can tell a conflicting newer S-360 change. One row per gateway command.
CREATE TABLE writeback_outbox (
    id               bigserial   PRIMARY KEY,
    command_id       uuid        NOT NULL UNIQUE,
    contact_number   varchar(20) NOT NULL,
    fields           jsonb       NOT NULL,
    base_modified_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         int         NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    state            text        NOT NULL DEFAULT 'pending'
                                 CHECK (state IN ('pending', 'done', 'conflict', 'failed')),
    last_error       text,
    completed_at     timestamptz
);
-- The pusher's work list: due pending rows, oldest first.
CREATE INDEX writeback_outbox_due_idx ON writeback_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX writeback_outbox_contact_idx ON writeback_outbox (contact_number);
