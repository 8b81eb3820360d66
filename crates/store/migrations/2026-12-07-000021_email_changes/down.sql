DROP TABLE account_issues;
DELETE FROM password_tokens WHERE purpose = 'email';
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check
    CHECK (purpose IN ('reset', 'first', 'verify'));
ALTER TABLE accounts DROP COLUMN pending_email;
