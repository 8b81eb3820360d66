DROP TABLE contact_checks;
DROP TABLE import_links;
DROP TABLE import_issues;
DROP TABLE import_runs;
