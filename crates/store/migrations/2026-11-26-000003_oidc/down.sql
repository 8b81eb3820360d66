DROP TABLE login_throttle;
DROP INDEX refresh_tokens_family_idx;
ALTER TABLE refresh_tokens DROP COLUMN auth_time;
ALTER TABLE refresh_tokens DROP COLUMN scope;
ALTER TABLE refresh_tokens DROP COLUMN code_hash;
DROP TABLE authorization_codes;
