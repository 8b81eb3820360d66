-- Refresh-token rotation grace (RFC 9700 §4.14.2 lets an authorization server tolerate a
-- lost rotation response): when a token is spent, its successor is kept in the spent token's
-- row, sealed under the spent token itself (`store::auth::refresh_tokens::seal`), so the same
-- client presenting the spent token again within its grace gets that same successor. Only
-- whoever holds the spent token can unseal it; the gateway erases seals once no client's grace
-- (at most 60 s) can still need them.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed bytea;

-- The seals still to erase, oldest first.
CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL;
