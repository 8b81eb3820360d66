ALTER TABLE erasure_requests DROP COLUMN completed_by;
UPDATE writeback_outbox SET state = 'conflict' WHERE state = 'dismissed';
ALTER TABLE writeback_outbox DROP CONSTRAINT writeback_outbox_state_check;
ALTER TABLE writeback_outbox ADD CONSTRAINT writeback_outbox_state_check
    CHECK (state IN ('pending', 'done', 'conflict', 'failed'));
