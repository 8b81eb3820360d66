-- Each replay of the `contacts.log` stream (`sync-worker replay`, dry run or real), with what
-- it did: `totals` is the worker's `ReplayReport` (`read`, `written`, `stale`, `invalid`,
-- `refused`) and, for a dry run, `diff` the per-contact changes it would make (`DryRunDiff`:
-- the first rows and the totals by kind). `diff` holds contact data: the support console shows
-- its values to admins only. `state` is `running`, `finished` or `failed`. The worker keeps
-- the newest 1000.
CREATE TABLE replay_runs (
    id           bigserial   PRIMARY KEY,
    requested_by text        NOT NULL,
    from_offset  bigint,
    since        timestamptz,
    dry_run      boolean     NOT NULL,
    state        text        NOT NULL DEFAULT 'running'
                 CHECK (state IN ('requested', 'running', 'finished', 'failed')),
    totals       jsonb,
    diff         jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
