-- The broker's tables in PostgreSQL, created at start-up when missing (idempotent; brokers
-- starting together take an advisory lock first). The record column holds the job as JSON, the
-- same encoding as the embedded store; the columns beside it are the ones the queries filter and
-- order by, written from the record with every change.
CREATE TABLE IF NOT EXISTS jobs (
    id bytea PRIMARY KEY,
    kind text NOT NULL,
    epoch bigint NOT NULL,
    seq bigint NOT NULL,
    status text NOT NULL,
    lease_deadline_ms bigint,
    finished_ms bigint,
    record json NOT NULL
);
-- The queue in take order, the running leases, and the finished jobs for retention.
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (epoch, seq) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS jobs_leases ON jobs (lease_deadline_ms) WHERE status = 'proving';
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_ms) WHERE finished_ms IS NOT NULL;
-- Inputs apart from the records (kilobytes to megabytes, read once per take), deleted with them.
CREATE TABLE IF NOT EXISTS job_inputs (
    id bytea PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    input bytea NOT NULL
);
-- Creation order across every broker on the database.
CREATE SEQUENCE IF NOT EXISTS job_seq AS bigint;
-- Jobs per status, changed in the transaction of every change (one row: one lock, taken last).
CREATE TABLE IF NOT EXISTS job_counts (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    queued bigint NOT NULL DEFAULT 0,
    proving bigint NOT NULL DEFAULT 0,
    proven bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0
);
INSERT INTO job_counts DEFAULT VALUES ON CONFLICT DO NOTHING;
