-- Sessions and codes opened with a passkey cannot be expressed before this migration.
DELETE FROM authorization_codes WHERE auth_method IN ('hwk', 'swk');
DELETE FROM sessions WHERE auth_method IN ('hwk', 'swk');
ALTER TABLE authorization_codes DROP CONSTRAINT authorization_codes_auth_method_check;
ALTER TABLE authorization_codes ADD CONSTRAINT authorization_codes_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp'));
ALTER TABLE sessions DROP CONSTRAINT sessions_auth_method_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp'));
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
