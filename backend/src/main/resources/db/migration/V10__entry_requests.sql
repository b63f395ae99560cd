-- Entry requests with approvals (EntryRequestService): the approval policy, the requests, their approvals and
-- the log of their changes that StreamEntryRequestUpdates tails.

-- The global part of the approval policy: one row, changed only by UpdateApprovalPolicy.
CREATE TABLE approval_policy (
    id                       smallint     PRIMARY KEY CHECK (id = 1),
    rule_admin_or_downstream boolean      NOT NULL DEFAULT false,
    rule_ttl_above_threshold boolean      NOT NULL DEFAULT false,
    ttl_threshold_seconds    integer      NOT NULL DEFAULT 86400 CHECK (ttl_threshold_seconds BETWEEN 10 AND 31536000),
    rule_dns_names           boolean      NOT NULL DEFAULT false,
    rule_federates_with      boolean      NOT NULL DEFAULT false,
    revision                 bigint       NOT NULL DEFAULT 1,
    updated_by               varchar(512) NOT NULL DEFAULT '',
    updated_at               timestamptz
);
INSERT INTO approval_policy (id) VALUES (1);

-- The per-site part: a site without a row needs no approval. Deleting a site deletes its row.
CREATE TABLE site_approval_policies (
    site_id            uuid        PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    mode               varchar(24) NOT NULL CHECK (mode IN ('NONE', 'DEVELOPER_CHANGES', 'ALL_CHANGES')),
    approvals_required smallint    NOT NULL CHECK (approvals_required IN (1, 2))
);

CREATE TABLE entry_requests (
    id                 uuid          PRIMARY KEY,
    state              varchar(16)   NOT NULL
        CHECK (state IN ('PENDING', 'APPLIED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'CONFLICT', 'FAILED')),
    kind               varchar(8)    NOT NULL CHECK (kind IN ('CREATE', 'UPDATE', 'DELETE')),
    -- no foreign key: the entry may not exist yet (create) or any more
    entry_id           uuid          NOT NULL,
    base_revision      bigint        NOT NULL,
    -- spire.mgmt.v1.Entry messages, serialized
    entry_before       bytea,
    proposed_entry     bytea,
    update_mask        text[]        NOT NULL DEFAULT '{}',
    justification      varchar(2000) NOT NULL,
    requester          varchar(512)  NOT NULL,
    requester_person   varchar(512)  NOT NULL,
    client_request_id  varchar(128),
    site_ids           uuid[]        NOT NULL,
    namespaces         text[]        NOT NULL,
    approval_reasons   text[]        NOT NULL,
    approvals_required smallint      NOT NULL CHECK (approvals_required BETWEEN 0 AND 2),
    decided_by         varchar(512),
    decision_message   text,
    failure_reason     varchar(64),
    conflicting_entry  bytea,
    applied_entry      bytea,
    supersedes         uuid          REFERENCES entry_requests (id),
    superseded_by      uuid          REFERENCES entry_requests (id),
    created_at         timestamptz   NOT NULL,
    updated_at         timestamptz   NOT NULL,
    expires_at         timestamptz   NOT NULL,
    CONSTRAINT entry_requests_client_uq UNIQUE (requester, client_request_id),
    CONSTRAINT entry_requests_supersedes_uq UNIQUE (supersedes)
);
-- Ids are UUIDv7, so id order is submission order: every list is newest first by id.
CREATE INDEX entry_requests_person_idx ON entry_requests (requester_person, id);
CREATE INDEX entry_requests_pending_idx ON entry_requests (id) WHERE state = 'PENDING';
CREATE INDEX entry_requests_state_idx ON entry_requests (state, id);
CREATE INDEX entry_requests_entry_idx ON entry_requests (entry_id, id);
CREATE INDEX entry_requests_sites_idx ON entry_requests USING gin (site_ids);
CREATE INDEX entry_requests_namespaces_idx ON entry_requests USING gin (namespaces);
CREATE INDEX entry_requests_expiry_idx ON entry_requests (expires_at) WHERE state = 'PENDING';

-- One approval per person: a second approval by the same person (under any credential) counts once.
CREATE TABLE entry_request_approvals (
    request_id      uuid          NOT NULL REFERENCES entry_requests (id),
    approver_person varchar(512)  NOT NULL,
    approver        varchar(512)  NOT NULL,
    comment         varchar(2000) NOT NULL DEFAULT '',
    approved_at     timestamptz   NOT NULL,
    PRIMARY KEY (request_id, approver_person)
);

-- Every change of a request, for StreamEntryRequestUpdates; read in (xid, id) order behind the oldest
-- running transaction, as sync_events (V5).
CREATE TABLE entry_request_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid         bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    request_id  uuid        NOT NULL,
    event       varchar(16) NOT NULL,
    actor       varchar(512) NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX entry_request_events_order_idx ON entry_request_events (xid, id);
CREATE INDEX entry_request_events_occurred_idx ON entry_request_events (occurred_at);

CREATE FUNCTION notify_entry_request_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('entry_request_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER entry_request_events_notify
    AFTER INSERT ON entry_request_events
    FOR EACH ROW EXECUTE FUNCTION notify_entry_request_event();
