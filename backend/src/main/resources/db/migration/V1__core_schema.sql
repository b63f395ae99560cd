-- Core schema: sites, workload entries with their selectors and per-site sync state, and the audit trail.

CREATE TABLE sites (
    id                uuid PRIMARY KEY,
    name              varchar(63)  NOT NULL,
    region            varchar(100) NOT NULL DEFAULT '',
    trust_domain      varchar(255) NOT NULL,
    spire_server_addr varchar(255) NOT NULL DEFAULT '',
    status            varchar(16)  NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'MAINTENANCE')),
    tier              varchar(16)  NOT NULL CHECK (tier IN ('STANDALONE', 'UPSTREAM', 'DOWNSTREAM')),
    parent_site_id    uuid REFERENCES sites (id),
    revision          bigint       NOT NULL,
    created_at        timestamptz  NOT NULL,
    updated_at        timestamptz  NOT NULL,
    CONSTRAINT sites_name_uq UNIQUE (name),
    CONSTRAINT sites_parent_only_downstream CHECK ((tier = 'DOWNSTREAM') = (parent_site_id IS NOT NULL))
);
CREATE INDEX sites_trust_domain_idx ON sites (trust_domain, name);
CREATE INDEX sites_parent_site_idx ON sites (parent_site_id) WHERE parent_site_id IS NOT NULL;

CREATE TABLE workload_entries (
    id                  uuid PRIMARY KEY,
    spiffe_id           varchar(2048) COLLATE "C" NOT NULL,
    parent_id           varchar(2048) COLLATE "C" NOT NULL,
    ttl                 integer      NOT NULL DEFAULT 0,
    jwt_svid_ttl        integer      NOT NULL DEFAULT 0,
    dns_names           text[]       NOT NULL DEFAULT '{}',
    federates_with      text[]       NOT NULL DEFAULT '{}',
    admin               boolean      NOT NULL DEFAULT false,
    downstream          boolean      NOT NULL DEFAULT false,
    store_svid          boolean      NOT NULL DEFAULT false,
    hint                varchar(1024) NOT NULL DEFAULT '',
    expires_at          timestamptz,
    -- sha256 hex of the sorted canonical selectors: the exact selector-set filter
    selectors_hash      char(64)     NOT NULL,
    -- sha256 hex of (spiffe_id, parent_id, selector set): SPIRE's "similar entry" rule, unique
    similar_key         char(64)     NOT NULL,
    revision            bigint       NOT NULL,
    created_by          varchar(512) NOT NULL,
    created_at          timestamptz  NOT NULL,
    updated_at          timestamptz  NOT NULL,
    delete_requested_at timestamptz,
    CONSTRAINT workload_entries_similar_uq UNIQUE (similar_key)
);
CREATE INDEX workload_entries_spiffe_id_idx ON workload_entries (spiffe_id, id);
CREATE INDEX workload_entries_parent_id_idx ON workload_entries (parent_id, id);
CREATE INDEX workload_entries_selectors_hash_idx ON workload_entries (selectors_hash, id);

CREATE TABLE workload_entry_selectors (
    workload_entry_id uuid          NOT NULL REFERENCES workload_entries (id) ON DELETE CASCADE,
    -- sha256 hex of the canonical "type:value" form
    selector_hash     char(64)      NOT NULL,
    type              varchar(255)  NOT NULL,
    value             varchar(4096) NOT NULL,
    position          integer       NOT NULL,
    PRIMARY KEY (workload_entry_id, selector_hash)
);
CREATE INDEX workload_entry_selectors_hash_idx ON workload_entry_selectors (selector_hash, workload_entry_id);

CREATE TABLE workload_entry_sites (
    workload_entry_id uuid         NOT NULL REFERENCES workload_entries (id) ON DELETE CASCADE,
    site_id           uuid         NOT NULL REFERENCES sites (id),
    sync_status       varchar(16)  NOT NULL CHECK (sync_status IN ('PENDING', 'SYNCED', 'FAILED', 'DELETING')),
    -- the entry revision the site must reach (or remove, for DELETING)
    target_revision   bigint       NOT NULL,
    spire_entry_id    varchar(255),
    last_sync_at      timestamptz,
    last_error        text,
    -- when sync_status last changed: the age of a pending change
    changed_at        timestamptz  NOT NULL,
    PRIMARY KEY (workload_entry_id, site_id)
);
CREATE INDEX workload_entry_sites_site_idx ON workload_entry_sites (site_id, workload_entry_id);
CREATE INDEX workload_entry_sites_site_status_idx ON workload_entry_sites (site_id, sync_status, workload_entry_id);
CREATE INDEX workload_entry_sites_status_idx ON workload_entry_sites (sync_status, workload_entry_id);

CREATE TABLE audit_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz  NOT NULL DEFAULT clock_timestamp(),
    actor        varchar(512) NOT NULL,
    action       varchar(64)  NOT NULL,
    target_type  varchar(32)  NOT NULL,
    target_id    varchar(64)  NOT NULL,
    request_id   varchar(128) NOT NULL,
    before_state jsonb,
    after_state  jsonb
);
CREATE INDEX audit_events_target_idx ON audit_events (target_type, target_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, id);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, id);
