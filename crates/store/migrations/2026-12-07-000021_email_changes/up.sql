-- A fan's change of login e-mail waits in `pending_email` until the new address is proven by a
-- single-use link (purpose `email`). What could not be applied (the address belongs to another
-- account meanwhile, or S-360 gave a contact an address another account signs in with) is
-- reported in `account_issues` for the support desk, and both accounts are left as they were.
ALTER TABLE accounts ADD COLUMN pending_email text;

ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check
    CHECK (purpose IN ('reset', 'first', 'verify', 'email'));

CREATE TABLE account_issues (
    id             bigserial   PRIMARY KEY,
    subject_id     uuid        REFERENCES accounts ON DELETE CASCADE,
    contact_number varchar(20),
    -- `email_clash`: the e-mail a change wanted is another account's login.
    kind           text        NOT NULL CHECK (kind IN ('email_clash')),
    -- Who asked (`fan` or `s360`) and the other account's subject id: no addresses.
    details        jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz
);
CREATE INDEX account_issues_open_idx ON account_issues (created_at) WHERE resolved_at IS NULL;
