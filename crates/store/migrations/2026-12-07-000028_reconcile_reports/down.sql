DROP TABLE reconcile_reports;
