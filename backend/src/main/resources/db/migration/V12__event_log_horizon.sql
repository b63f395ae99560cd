-- The event logs (sync_events, V5; entry_request_events, V10) are read in id order, and a reader waits only
-- for transactions that are writing events, not for every transaction on the server (docs/architecture.md,
-- "StreamSyncUpdates").
--
-- Ids come from each table's identity sequence (CACHE 1: handed out in increasing order in time). Before a
-- statement inserts into an event table, the writing transaction marks itself once: it reads the sequence's
-- last value L and takes a shared transaction-scoped advisory lock whose key holds (table tag, L). Every id
-- it is given afterwards is above L, and the lock is released only after its commit is visible (or its
-- rollback). A reader (event_log_horizon) reads the sequence's last value H first, then the marks still held:
-- every id at or below least(H, the smallest mark) belongs to a transaction that has ended, so a query
-- started afterwards sees each of those ids or never will. Ids above the horizon wait; nothing else does.
--
-- The mark's key is the two-int4 advisory form (objsubid 2 in pg_locks), so it shares no key with the
-- one-bigint locks of the duties and the audit sealer: the first int is (tag << 24) | (L >> 32), the second
-- the low 32 bits of L, which holds L below 2^56.

ALTER TABLE sync_events ALTER COLUMN id SET CACHE 1;
ALTER TABLE entry_request_events ALTER COLUMN id SET CACHE 1;

-- Marks the calling transaction as a writer of the event log tagged TG_ARGV[1] (sequence TG_ARGV[0]), once.
CREATE FUNCTION mark_event_log_writer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marked text := 'spire_mgmt.event_log_writer_' || TG_ARGV[1];
    last   bigint;
BEGIN
    IF current_setting(marked, true) = 'y' THEN
        RETURN NULL;
    END IF;
    last := coalesce(pg_sequence_last_value(TG_ARGV[0]::regclass), 0);
    PERFORM pg_advisory_xact_lock_shared(((TG_ARGV[1]::bigint << 24) | (last >> 32))::int,
                                         last::bit(32)::int);
    -- Transaction-local: a rolled-back savepoint forgets it together with the lock and its rows.
    PERFORM set_config(marked, 'y', true);
    RETURN NULL;
END;
$$;

-- Statement-level BEFORE triggers fire before the statement computes any row, so before the identity
-- default takes an id.
CREATE TRIGGER sync_events_mark_writer
    BEFORE INSERT ON sync_events
    FOR EACH STATEMENT EXECUTE FUNCTION mark_event_log_writer('sync_events_id_seq', '83');
CREATE TRIGGER entry_request_events_mark_writer
    BEFORE INSERT ON entry_request_events
    FOR EACH STATEMENT EXECUTE FUNCTION mark_event_log_writer('entry_request_events_id_seq', '82');

-- The highest id of the log (sequence seq, tag tag) below which every transaction has ended: the sequence's
-- last value read first, then the smallest mark still held by another transaction. Each statement of a
-- VOLATILE PL/pgSQL function reads what is current when it runs, in this order.
CREATE FUNCTION event_log_horizon(seq regclass, tag int) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last   bigint;
    marked bigint;
BEGIN
    last := coalesce(pg_sequence_last_value(seq), 0);
    SELECT min(((l.classid::bigint & 16777215) << 32) | l.objid::bigint) INTO marked
      FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND (l.classid::bigint >> 24) = tag
       AND l.pid IS DISTINCT FROM pg_backend_pid();
    RETURN least(last, marked);
END;
$$;

-- Readers walk the primary key now; the (xid, id) order indexes only cost writers.
DROP INDEX sync_events_order_idx;
DROP INDEX entry_request_events_order_idx;
