-- Each dead-letter record once. A consumer that crashed after writing a batch but before
-- committing it writes the batch again, and BigQuery's insertId deduplication is best effort.
SELECT *
FROM {{rejected_events}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY {{fact_key}} ORDER BY received_at) = 1
