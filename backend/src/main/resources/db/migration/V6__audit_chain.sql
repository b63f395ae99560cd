-- Tamper-evident audit: every event is sealed into one hash chain per database (seq, prev_hash, hash), in the
-- order (xid, id) of the transactions that wrote them, by AuditSealer shortly after they commit. Rows are
-- append-only: the only update allowed is sealing a row once; deletes are refused.
ALTER TABLE audit_events
    ADD COLUMN xid       bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    ADD COLUMN seq       bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash      bytea;
CREATE UNIQUE INDEX audit_events_seq_idx ON audit_events (seq) WHERE seq IS NOT NULL;
CREATE INDEX audit_events_unsealed_idx ON audit_events (xid, id) WHERE seq IS NULL;

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted';
    END IF;
    IF OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.hash IS NULL
        OR (NEW.id, NEW.occurred_at, NEW.actor, NEW.action, NEW.target_type, NEW.target_id, NEW.request_id,
            NEW.before_state, NEW.after_state, NEW.xid)
           IS DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.actor, OLD.action, OLD.target_type, OLD.target_id, OLD.request_id,
            OLD.before_state, OLD.after_state, OLD.xid) THEN
        RAISE EXCEPTION 'audit events are append-only: only sealing may set seq, prev_hash and hash, once';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
