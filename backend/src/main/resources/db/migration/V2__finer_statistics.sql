-- SPIFFE IDs and parent IDs share long prefixes, so the default 100-bucket histograms put a whole
-- "spiffe://td/ns-x/" range inside one bucket and the planner underestimates prefix ranges by ~100x; it then
-- picks a bitmap scan plus sort over thousands of rows instead of walking the (spiffe_id, id) index for one
-- page. Finer histograms keep ListEntries' prefix filter on the index (see bench/entries.sh).
ALTER TABLE workload_entries ALTER COLUMN spiffe_id SET STATISTICS 1000;
ALTER TABLE workload_entries ALTER COLUMN parent_id SET STATISTICS 1000;
