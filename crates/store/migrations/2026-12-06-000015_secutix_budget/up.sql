-- The S-360 contact API budget shared by every process of the installation (every worker
-- replica, import, reconcile): one row per budget name holding the next free call slot.
-- Each call reserves a slot with one UPDATE ... RETURNING, so the calls of all processes are
-- spaced 60 s / limit apart together; a 429/509 moves the slot past its Retry-After.

CREATE TABLE secutix_budget (
    name      text        PRIMARY KEY,
    next_slot timestamptz NOT NULL
);
