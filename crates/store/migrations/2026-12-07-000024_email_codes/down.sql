ALTER TABLE authorization_codes DROP COLUMN auth_method;
ALTER TABLE sessions DROP COLUMN auth_method;
DROP TABLE email_codes;
