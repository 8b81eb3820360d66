-- Passkey ceremonies travel sealed in the browser's cookie (AES-256-GCM under the key
-- manifest's sealing key, shared by the replicas) instead of a row per ceremony: what the
-- database keeps is only the ceremonies already answered, so that each is used once.
DROP TABLE passkey_challenges;

-- A ceremony answered (its id from the sealed cookie), kept until the ceremony would have
-- expired anyway: an answer replayed with the same cookie finds its id here and is refused.
-- The id is a UUIDv7, whose leading bits are the time the ceremony started: the key alone
-- orders the rows by age, so the expired ones are deleted by a range of the primary key
-- (no second index to write at each sign-in), and new ids land on the index's last page.
CREATE TABLE passkey_ceremonies_spent (
    id uuid PRIMARY KEY
);
