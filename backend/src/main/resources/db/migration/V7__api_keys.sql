-- API keys: only the SHA-256 of each secret is stored. Every authenticated call looks its key up here, so a
-- revocation or expiry takes effect at once on every replica.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    name        varchar(63)  NOT NULL,
    role        varchar(16)  NOT NULL CHECK (role IN ('Admin', 'Operator', 'Developer', 'Viewer', 'SiteAgent')),
    namespaces  text[]       NOT NULL DEFAULT '{}',
    -- no foreign key: a key outliving its site simply reaches nothing
    site_id     uuid,
    secret_hash bytea        NOT NULL,
    expires_at  timestamptz  NOT NULL,
    created_at  timestamptz  NOT NULL,
    created_by  varchar(512) NOT NULL,
    revoked_at  timestamptz,
    revoked_by  varchar(512),
    CONSTRAINT api_keys_name_uq UNIQUE (name),
    CONSTRAINT api_keys_secret_uq UNIQUE (secret_hash),
    CONSTRAINT api_keys_scope CHECK ((role = 'SiteAgent') = (site_id IS NOT NULL)
        AND (role = 'Developer') = (cardinality(namespaces) > 0))
);
