ALTER TABLE writeback_outbox DROP COLUMN pushed_modified_at;
DROP TABLE contact_checks;
DROP TABLE import_links;
DROP TABLE import_issues;
DROP TABLE import_runs;
