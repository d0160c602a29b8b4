-- Invoice poller: per-org poll state (lease + CDC cursor), a heartbeat per run, and the
-- invoice fields the poller keeps in sync.
-- depends: 0002_qbo_oauth

CREATE TABLE qbo_poll_state (
    org_id           bigint PRIMARY KEY REFERENCES orgs (id),
    lease_owner      text,
    lease_until      timestamptz,
    cdc_cursor       timestamptz,          -- QBO time up to which changes are applied
    last_success_at  timestamptz,
    last_full_scan_at timestamptz
);

CREATE TABLE poll_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       bigint NOT NULL REFERENCES orgs (id),
    trigger      text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'single')),
    mode         text CHECK (mode IN ('cdc', 'full', 'single', 'skipped')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    checked      integer NOT NULL DEFAULT 0,
    changed      integer NOT NULL DEFAULT 0,
    errors       integer NOT NULL DEFAULT 0,
    qbo_calls    integer NOT NULL DEFAULT 0,
    outcome      text CHECK (outcome IN ('ok', 'skipped', 'failed')),
    reason       text
);
CREATE INDEX poll_runs_org_started ON poll_runs (org_id, started_at DESC);

ALTER TABLE leads
    ADD COLUMN qbo_sync_token integer,
    ADD COLUMN qbo_due_date date;
