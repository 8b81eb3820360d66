DROP INDEX refresh_tokens_sealed_idx;
ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
