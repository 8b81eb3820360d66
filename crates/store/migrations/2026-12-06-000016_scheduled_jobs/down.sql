DROP TABLE scheduled_runs;
DROP TABLE scheduled_jobs;
