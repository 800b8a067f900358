-- hookseal-inbox schema v1 (PostgreSQL). Times are microseconds since the Unix epoch (UTC).
CREATE TABLE IF NOT EXISTS hookseal_inbox_events (
    id               BIGSERIAL PRIMARY KEY,
    provider         TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    event_name       TEXT    NOT NULL,
    body             BYTEA   NOT NULL,
    event_header     TEXT,
    timestamp_header TEXT,
    received_at_us   BIGINT  NOT NULL,
    last_seen_at_us  BIGINT  NOT NULL,
    times_seen       BIGINT  NOT NULL DEFAULT 1,
    state            TEXT    NOT NULL CHECK (state IN ('ready', 'running', 'done', 'dead')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    available_at_us  BIGINT  NOT NULL,
    lease_token      BIGINT  NOT NULL DEFAULT 0,
    lease_until_us   BIGINT,
    last_error       TEXT,
    finished_at_us   BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS hookseal_inbox_events_dedupe ON hookseal_inbox_events (provider, idempotency_key);
CREATE INDEX IF NOT EXISTS hookseal_inbox_events_claim ON hookseal_inbox_events (provider, state, available_at_us);
CREATE INDEX IF NOT EXISTS hookseal_inbox_events_lease ON hookseal_inbox_events (provider, state, lease_until_us);
CREATE INDEX IF NOT EXISTS hookseal_inbox_events_finished ON hookseal_inbox_events (state, finished_at_us);
