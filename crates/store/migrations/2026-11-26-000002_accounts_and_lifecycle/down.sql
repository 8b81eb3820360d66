DROP TABLE contact_audit;
DROP TABLE mail_outbox;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE accounts;
ALTER TABLE contacts DROP CONSTRAINT contacts_head_only_when_merged;
ALTER TABLE contacts DROP COLUMN head_contact_number;
