-- Whether a run of concurrency key `key` (limit `lim`) may start: fewer than `lim` other runs
-- of the key are `running` under a live lease. Two nodes may claim two runs of one key at
-- once; each claim counts under a transaction lock of the key, with a snapshot taken after
-- the lock (each statement of a VOLATILE function takes its own), so the second claim sees
-- the first (SQLite's one writer does the same by taking turns). The store writes
-- `store::concurrency::KEY_HAS_ROOM` and `store::dialect` turns it into this call.
CREATE FUNCTION workflow_engine_key_has_room(run TEXT, key TEXT, lim BIGINT) RETURNS BOOLEAN
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF key IS NULL THEN
        RETURN TRUE;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('concurrency_key:' || key));
    RETURN (SELECT count(*) FROM workflow_runs o
             WHERE o.concurrency_key = key AND o.status = 'running'
               AND (o.lease_expires_at IS NULL
                    OR o.lease_expires_at >= to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
               AND o.id <> run) < lim;
END;
$$;
