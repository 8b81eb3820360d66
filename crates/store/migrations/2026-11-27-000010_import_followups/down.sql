DROP TABLE import_followups;
