-- A reconcile report sent in parts (ReportReconcile with reconcile_id and more_parts): the parts received so
-- far, out of sight until the last part moves them into site_unmanaged_entries in one transaction. Only the
-- site's latest reconcile is staged: a part of another reconcile_id discards the rest, and the last part
-- empties the table for the site. A reconcile abandoned at a site whose agent never reports again is purged by
-- the background duties an hour after it was staged (staged_at).
CREATE TABLE site_unmanaged_staged (
    site_id        uuid          NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    reconcile_id   varchar(128)  COLLATE "C" NOT NULL,
    spire_entry_id varchar(255)  COLLATE "C" NOT NULL,
    spiffe_id      varchar(2048) NOT NULL,
    parent_id      varchar(2048) NOT NULL,
    selectors      text[]        NOT NULL,
    staged_at      timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, reconcile_id, spire_entry_id)
);

-- The reconcile whose report was recorded last (null for a report in one message): a part of it that
-- arrives again (a retry after a lost answer) is acknowledged and changes nothing.
ALTER TABLE site_agents ADD COLUMN last_reconcile_id varchar(128) COLLATE "C";
