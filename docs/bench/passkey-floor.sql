-- pgbench script: the database's part of one passkey sign-in, with no gateway, no HTTP and no
-- verification: the passkey read, then the statement that writes the sign-in
-- (store::auth::passkey_sign_in: ceremony spent, counter moved, session opened, history row),
-- each pgbench client a fan with a passkey of its own. What it reaches on a machine is the most
-- sign-ins per second its database can write there; docs/performance.md uses it as a floor.
--
-- Seed a migrated database (sync-worker migrate) with 16 fans:
--   INSERT INTO contacts (contact_number, first_name, last_name, raw, version_time, version_event_id, source)
--     SELECT 'B'||n, 'Bench', 'Mark', '{}', now(), gen_random_uuid(), 'webhook' FROM generate_series(1,16) n;
--   INSERT INTO accounts (contact_number, origin_contact_number, login_email, password_hash, email_verified)
--     SELECT 'B'||n, 'B'||n, 'bench'||n||'@example.org', 'x', true FROM generate_series(1,16) n;
--   INSERT INTO passkeys (id, subject_id, credential_id, name, credential, backup_eligible, backup_state)
--     SELECT gen_random_uuid(), subject_id, sha256(contact_number::bytea), contact_number, '{}', false, false
--     FROM accounts;
-- then: pgbench -n -M prepared -c 16 -j 2 -T 5 -f docs/bench/passkey-floor.sql DATABASE
\set n :client_id + 1
SELECT id AS pk, subject_id AS sub, sign_count AS sc, credential FROM passkeys WHERE credential_id = sha256(('B' || :n)::bytea) AND subject_id = (SELECT subject_id FROM accounts WHERE contact_number = 'B' || :n) \gset
WITH spent AS (INSERT INTO passkey_ceremonies_spent (id) VALUES (gen_random_uuid()) ON CONFLICT DO NOTHING RETURNING id), used AS (UPDATE passkeys SET sign_count = :sc + 1, backup_state = false, last_used_at = now() WHERE passkeys.id = :pk::uuid AND passkeys.subject_id = :sub::uuid AND passkeys.sign_count = :sc AND EXISTS (SELECT 1 FROM spent) AND EXISTS (SELECT 1 FROM accounts LEFT JOIN contacts ON contacts.contact_number = accounts.contact_number WHERE accounts.subject_id = :sub::uuid AND (contacts.state IS NULL OR contacts.state = 'active')) RETURNING passkeys.subject_id), opened AS (INSERT INTO sessions (id, subject_id, created_at, last_seen_at, expires_at, auth_method) SELECT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), subject_id, now(), now(), now() + interval '30 days', 'hwk' FROM used RETURNING subject_id), history AS (INSERT INTO sign_in_audit (subject_id, outcome) SELECT subject_id, 'success' FROM opened) SELECT EXISTS (SELECT 1 FROM spent), EXISTS (SELECT 1 FROM opened);
