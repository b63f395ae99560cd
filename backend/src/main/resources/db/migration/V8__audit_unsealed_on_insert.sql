-- An audit event is sealed only by AuditSealer, after it commits. Whatever an INSERT sends for the seal
-- columns (seq, prev_hash, hash) is discarded, and the transaction id the sealer orders by (xid) is always
-- the inserting transaction's: a forged row can neither claim a place in the chain (the sealer continues
-- from the highest seq) nor jump the sealing order. The trigger cannot be dropped or disabled by a role
-- that does not own the table, so the service runs under such a role (README, "Database roles").
CREATE FUNCTION audit_events_unsealed_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := NULL;
    NEW.prev_hash := NULL;
    NEW.hash := NULL;
    NEW.xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_events_unsealed_on_insert
    BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_unsealed_on_insert();
