-- Periodic jobs of the cluster (the worker's scheduled reconciliation, …): one row per job
-- holding when it last started, so a job runs once per period whatever the number of replicas,
-- and a replica that takes over from a dead leader neither repeats nor skips a run. Every run
-- is kept in scheduled_runs (by whom, when, how it ended).

CREATE TABLE scheduled_jobs (
    name            text        PRIMARY KEY,
    last_started_at timestamptz NOT NULL,
    runs            bigint      NOT NULL DEFAULT 1
);

CREATE TABLE scheduled_runs (
    id          bigserial   PRIMARY KEY,
    name        text        NOT NULL,
    runner      text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text
);
CREATE INDEX scheduled_runs_name_idx ON scheduled_runs (name, started_at);
