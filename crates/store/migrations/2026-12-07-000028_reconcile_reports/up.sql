-- Each reconciliation's drift report (`sync-worker reconcile` and the scheduled one of
-- `sync-worker run` write the report they print), for the support console's sync page.
-- `report` is the worker's `DriftReport` as JSON: `checked`, `in_step`, `errors` (numbers) and
-- `updated`, `merged`, `anonymised`, `deleted` (contact numbers). The worker keeps the newest
-- 1000.
CREATE TABLE reconcile_reports (
    id          bigserial   PRIMARY KEY,
    scheduled   boolean     NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    report      jsonb       NOT NULL
);
