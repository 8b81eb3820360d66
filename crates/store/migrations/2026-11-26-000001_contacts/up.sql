-- The mirror of S-360 contacts: one row per contact number, the modelled fields beside the
-- payload as received, and the version that orders updates (an older version never
-- overwrites a newer one).
CREATE TABLE contacts (
    contact_number   varchar(20) PRIMARY KEY,
    state            text        NOT NULL DEFAULT 'active'
                                 CHECK (state IN ('active', 'merged', 'anonymised')),
    title            text,
    first_name       text,
    last_name        text,
    birth_date       date,
    language         text,
    email            text,
    phone            text,
    role             text,
    has_login        boolean,
    addresses        jsonb       NOT NULL DEFAULT '[]',
    authorizations   jsonb       NOT NULL DEFAULT '[]',
    raw              jsonb       NOT NULL,
    version_time     timestamptz NOT NULL,
    version_event_id uuid        NOT NULL,
    source           text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Accounts are looked up by e-mail regardless of letter case.
CREATE INDEX contacts_email_lower_idx ON contacts (lower(email));
