-- hookseal-inbox schema v2 (SQLite): request headers, attempt history, and indexes for listing.
ALTER TABLE hookseal_inbox_events ADD COLUMN headers TEXT;
CREATE TABLE IF NOT EXISTS hookseal_inbox_attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       INTEGER NOT NULL REFERENCES hookseal_inbox_events (id) ON DELETE CASCADE,
    attempt        INTEGER NOT NULL,
    started_at_us  INTEGER NOT NULL,
    finished_at_us INTEGER NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('done', 'retry', 'dead', 'fenced')),
    error          TEXT
);
CREATE INDEX IF NOT EXISTS hookseal_inbox_attempts_event ON hookseal_inbox_attempts (event_id, attempt);
CREATE INDEX IF NOT EXISTS hookseal_inbox_events_received ON hookseal_inbox_events (received_at_us);
