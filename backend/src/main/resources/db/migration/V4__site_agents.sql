-- The agent of each site: who holds the site's lease (one active agent instance per site), and what it last
-- told the backend about its SPIRE server. Lease times are the database's clock, so every replica agrees.
CREATE TABLE site_agents (
    site_id           uuid         PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    agent_id          varchar(128) NOT NULL,
    agent_version     varchar(64)  NOT NULL,
    acquired_at       timestamptz  NOT NULL,
    lease_expires_at  timestamptz  NOT NULL,
    last_seen_at      timestamptz  NOT NULL,
    last_poll_at      timestamptz,
    spire_reachable   boolean      NOT NULL,
    spire_error       text         NOT NULL DEFAULT '',
    last_reconcile_at timestamptz,
    unmanaged_count   bigint       NOT NULL DEFAULT 0
);

-- SPIRE entries a site's agent found at its last full reconcile that it does not manage: listed, never touched.
CREATE TABLE site_unmanaged_entries (
    site_id        uuid          NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    spire_entry_id varchar(255)  COLLATE "C" NOT NULL,
    spiffe_id      varchar(2048) NOT NULL,
    parent_id      varchar(2048) NOT NULL,
    selectors      text[]        NOT NULL,
    PRIMARY KEY (site_id, spire_entry_id)
);
