DROP TABLE logout_deliveries;
DROP INDEX authorization_codes_session_idx;
