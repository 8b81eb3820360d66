DELETE FROM authorization_codes WHERE auth_method = 'fed';
DELETE FROM sessions WHERE auth_method = 'fed';
ALTER TABLE authorization_codes DROP CONSTRAINT authorization_codes_auth_method_check;
ALTER TABLE authorization_codes ADD CONSTRAINT authorization_codes_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp', 'hwk', 'swk', 'user'));
ALTER TABLE sessions DROP CONSTRAINT sessions_auth_method_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp', 'hwk', 'swk', 'user'));
DROP TABLE federation_requests;
DROP TABLE federated_identities;
