-- Every sync state change of an (entry, site) pair, for StreamSyncUpdates. Written by a trigger, so each
-- change is recorded in the transaction that makes it, whatever code path makes it.
--
-- Readers order events by (xid, id) and only read events whose transaction id is below the oldest running
-- one (pg_snapshot_xmin): those transactions are all finished, and every event not yet visible has a larger
-- xid. A cursor of (xid, id) therefore never skips an event that commits late.
CREATE TABLE sync_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid         bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    entry_id    uuid        NOT NULL,
    site_id     uuid        NOT NULL,
    -- PENDING, SYNCED, FAILED, DELETING, or REMOVED when the pair is gone (unassigned or purged)
    sync_state  varchar(16) NOT NULL,
    revision    bigint      NOT NULL,
    last_error  text,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sync_events_order_idx ON sync_events (xid, id);
CREATE INDEX sync_events_occurred_idx ON sync_events (occurred_at);

CREATE FUNCTION record_sync_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO sync_events (entry_id, site_id, sync_state, revision)
        VALUES (OLD.workload_entry_id, OLD.site_id, 'REMOVED', OLD.target_revision);
    ELSIF TG_OP = 'INSERT'
        OR NEW.sync_status IS DISTINCT FROM OLD.sync_status
        OR NEW.target_revision IS DISTINCT FROM OLD.target_revision
        OR NEW.last_error IS DISTINCT FROM OLD.last_error THEN
        INSERT INTO sync_events (entry_id, site_id, sync_state, revision, last_error)
        VALUES (NEW.workload_entry_id, NEW.site_id, NEW.sync_status, NEW.target_revision,
                CASE WHEN NEW.sync_status = 'FAILED' THEN NEW.last_error END);
    ELSE
        RETURN NULL;
    END IF;
    -- One notification per transaction (PostgreSQL folds identical ones) wakes the streams of every replica.
    PERFORM pg_notify('sync_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER workload_entry_sites_sync_events
    AFTER INSERT OR UPDATE OR DELETE ON workload_entry_sites
    FOR EACH ROW EXECUTE FUNCTION record_sync_event();
