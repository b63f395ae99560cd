-- Sync bookkeeping per (entry, site): failed attempts and their backoff, and the last agent report applied
-- (so a repeated report changes nothing).
ALTER TABLE workload_entry_sites
    ADD COLUMN attempts        integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN last_report_id  varchar(128);
