DROP TABLE writeback_outbox;
