-- A Developer's StreamSyncUpdates and ListAuditEvents show only events of entries in its namespaces (the
-- values N of the entry's k8s:ns:N selectors, in either spelling). An event must stay scoped after its entry is
-- purged, so each sync event and each entry audit event records the entry's namespaces when it is written.

-- The namespaces of an entry as its selector rows stand now (empty when it has none or is gone).
CREATE FUNCTION entry_namespaces(entry uuid) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(s.type || ':' || s.value, 8)), '{}')
    FROM workload_entry_selectors s
    WHERE s.workload_entry_id = entry
      AND left(s.type || ':' || s.value, 7) = 'k8s:ns:'
      AND length(s.type || ':' || s.value) > 7
$$;

-- The namespaces of an entry as the API's JSON holds it ({"selectors": [{"type", "value"}, ...]}).
CREATE FUNCTION entry_json_namespaces(entry jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(c, 8)), '{}')
    FROM (SELECT (sel ->> 'type') || ':' || (sel ->> 'value') AS c
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(entry -> 'selectors') = 'array'
                                         THEN entry -> 'selectors' ELSE '[]'::jsonb END) sel) x
    WHERE left(c, 7) = 'k8s:ns:' AND length(c) > 7
$$;

-- ---- sync_events: the entry's namespaces when the event was written ----
ALTER TABLE sync_events ADD COLUMN namespaces text[] NOT NULL DEFAULT '{}';
UPDATE sync_events SET namespaces = entry_namespaces(entry_id);

-- The writers put an entry's selector rows in place before its site rows in the same transaction
-- (EntryService), so the namespaces read here are those of the revision the event is about. A site row is
-- removed before its entry is purged, so a REMOVED event still finds them.
CREATE OR REPLACE FUNCTION record_sync_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO sync_events (entry_id, site_id, sync_state, revision, namespaces)
        VALUES (OLD.workload_entry_id, OLD.site_id, 'REMOVED', OLD.target_revision,
                entry_namespaces(OLD.workload_entry_id));
    ELSIF TG_OP = 'INSERT'
        OR NEW.sync_status IS DISTINCT FROM OLD.sync_status
        OR NEW.target_revision IS DISTINCT FROM OLD.target_revision
        OR NEW.last_error IS DISTINCT FROM OLD.last_error THEN
        INSERT INTO sync_events (entry_id, site_id, sync_state, revision, last_error, namespaces)
        VALUES (NEW.workload_entry_id, NEW.site_id, NEW.sync_status, NEW.target_revision,
                CASE WHEN NEW.sync_status = 'FAILED' THEN NEW.last_error END,
                entry_namespaces(NEW.workload_entry_id));
    ELSE
        RETURN NULL;
    END IF;
    -- One notification per transaction (PostgreSQL folds identical ones) wakes the streams of every replica.
    PERFORM pg_notify('sync_events', '');
    RETURN NULL;
END;
$$;

-- ---- audit_events: an entry event's namespaces (NULL for every other target) ----
-- The union of the namespaces in the event's before and after JSON (create, update, delete, purge hold the
-- entry) and of the entry's selector rows at insert time (sync and unassign hold a site status), so an update
-- that moves an entry between namespaces is in the history of both. Set by a trigger whatever the inserter
-- sends, like the seal columns (V8). Derived data: not part of the hash chain (AuditChain), but immutable
-- once inserted (the append-only trigger below).
ALTER TABLE audit_events ADD COLUMN namespaces text[];

CREATE FUNCTION audit_event_namespaces(target_type text, target_id text, before_state jsonb,
                                       after_state jsonb) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN target_type <> 'entry' THEN NULL ELSE
        ARRAY(SELECT DISTINCT n FROM unnest(
            entry_json_namespaces(before_state)
            || entry_json_namespaces(after_state)
            || CASE WHEN target_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    THEN entry_namespaces(target_id::uuid) ELSE '{}' END) n ORDER BY n)
    END
$$;

CREATE OR REPLACE FUNCTION audit_events_unsealed_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := NULL;
    NEW.prev_hash := NULL;
    NEW.hash := NULL;
    NEW.xid := pg_current_xact_id()::text::bigint;
    NEW.namespaces := audit_event_namespaces(NEW.target_type, NEW.target_id, NEW.before_state, NEW.after_state);
    RETURN NEW;
END;
$$;

-- Existing rows: as above, and for an entry's sync events whose entry is gone, the namespaces of the entry's
-- other events (its create, update and delete events hold it). Sealed rows are append-only, so the owner
-- lifts the trigger for this one statement.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
UPDATE audit_events a
SET namespaces = ARRAY(SELECT DISTINCT n FROM unnest(
        audit_event_namespaces(a.target_type, a.target_id, a.before_state, a.after_state)
        || coalesce((SELECT array_agg(DISTINCT n2) FROM audit_events o,
                            unnest(entry_json_namespaces(o.before_state) || entry_json_namespaces(o.after_state)) n2
                     WHERE o.target_type = 'entry' AND o.target_id = a.target_id), '{}')) n ORDER BY n)
WHERE a.target_type = 'entry';
ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted';
    END IF;
    IF OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.hash IS NULL
        OR (NEW.id, NEW.occurred_at, NEW.actor, NEW.action, NEW.target_type, NEW.target_id, NEW.request_id,
            NEW.before_state, NEW.after_state, NEW.xid, NEW.namespaces)
           IS DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.actor, OLD.action, OLD.target_type, OLD.target_id, OLD.request_id,
            OLD.before_state, OLD.after_state, OLD.xid, OLD.namespaces) THEN
        RAISE EXCEPTION 'audit events are append-only: only sealing may set seq, prev_hash and hash, once';
    END IF;
    RETURN NEW;
END;
$$;

-- A Developer's page: entry events with one of its namespaces, newest first. The GIN index finds the events of
-- a few namespaces without reading the others; for a namespace that most events carry the planner walks the
-- primary key backwards instead and stops after a page.
CREATE INDEX audit_events_namespaces_idx ON audit_events USING gin (namespaces) WHERE namespaces IS NOT NULL;
