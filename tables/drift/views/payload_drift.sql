-- One row per workspace, source, path and kind of payload drift (docs/drift.md), from
-- payload_drift_findings (where its columns are defined).
-- first_seen, last_seen: the earliest and latest event_time of the events it was found in.
-- events: how many distinct events it was found in.
-- example: the value found in the earliest of them, event_id breaking ties; NULL for missing.
WITH
firsts AS (
  SELECT workspace, source, path, kind, example
  FROM {{payload_drift_findings}}
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY workspace, source, path, kind ORDER BY event_time, event_id) = 1
),
totals AS (
  SELECT
    workspace,
    source,
    path,
    kind,
    MIN(event_time) AS first_seen,
    MAX(event_time) AS last_seen,
    COUNT(DISTINCT event_id) AS events
  FROM {{payload_drift_findings}}
  GROUP BY workspace, source, path, kind
)
SELECT t.workspace, t.source, t.path, t.kind, t.first_seen, t.last_seen, t.events, f.example
FROM totals AS t
JOIN firsts AS f
  ON f.workspace = t.workspace AND f.source = t.source AND f.path = t.path AND f.kind = t.kind
