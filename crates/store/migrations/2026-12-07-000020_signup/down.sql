DROP TABLE contact_creations;
DELETE FROM mail_outbox WHERE contact_number IS NULL;
ALTER TABLE mail_outbox ALTER COLUMN contact_number SET NOT NULL;
DELETE FROM password_tokens WHERE purpose = 'verify';
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check CHECK (purpose IN ('reset', 'first'));
DELETE FROM accounts WHERE contact_number IS NULL;
ALTER TABLE accounts
    DROP CONSTRAINT accounts_contact_pair,
    DROP COLUMN verified_at,
    DROP COLUMN privacy_accepted_at,
    DROP COLUMN newsletter,
    DROP COLUMN language,
    DROP COLUMN family_name,
    DROP COLUMN given_name,
    DROP COLUMN origin,
    ALTER COLUMN origin_contact_number SET NOT NULL,
    ALTER COLUMN contact_number SET NOT NULL;
