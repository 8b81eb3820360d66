-- The support console's actions on the S-360 tasks and erasure requests.
-- A write-back conflict staff closed by keeping S-360's value: nothing is pushed, the user's
-- change stays in `fields` for the record.
ALTER TABLE writeback_outbox DROP CONSTRAINT writeback_outbox_state_check;
ALTER TABLE writeback_outbox ADD CONSTRAINT writeback_outbox_state_check
    CHECK (state IN ('pending', 'done', 'conflict', 'failed', 'dismissed'));
-- Who marked an erasure request completed (an admin in the support console), beside when.
ALTER TABLE erasure_requests ADD COLUMN completed_by uuid REFERENCES staff_accounts (staff_id);
