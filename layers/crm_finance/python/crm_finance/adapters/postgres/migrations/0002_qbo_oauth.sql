-- QBO OAuth: single-use states and start tickets, token lifecycle on the connection,
-- and a shared cache of Intuit's discovery document.
-- depends: 0001_initial

CREATE TABLE oauth_states (
    state_hash   text PRIMARY KEY,            -- sha256 of the value handed to the browser
    org_id       bigint NOT NULL REFERENCES orgs (id),
    purpose      text NOT NULL CHECK (purpose IN ('authorize', 'start_link')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

ALTER TABLE qbo_connections
    ADD COLUMN access_expires_at   timestamptz,
    ADD COLUMN refresh_expires_at  timestamptz,
    ADD COLUMN last_refreshed_at   timestamptz,
    ADD COLUMN last_refresh_error  text,
    ADD COLUMN disconnected_at     timestamptz;

CREATE TABLE qbo_discovery_cache (
    url         text PRIMARY KEY,
    document    jsonb NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now()
);
