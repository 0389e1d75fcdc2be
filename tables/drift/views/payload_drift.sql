-- One row per workspace, source, path and kind of payload drift (docs/drift.md): where bodies
-- differed from what Thena documents, read from the payload_drift column of each event once
-- (request_history, ticket_history).
-- source: request (the request webhook and the requests backfill) or platform (platform events).
-- path: members joined with '.', arrays as '[]' (request.activity[].ts); a key's own '\', '.', '['
--   and ']' are escaped with '\'.
-- kind: unknown (a member the description does not name), type (a JSON type it does not allow),
--   missing (an expected field absent).
-- first_seen, last_seen: the earliest and latest event_time of the events it was found in.
-- events: how many distinct events it was found in.
-- example: the value found (JSON text, cut) in the earliest of them, event_id breaking ties; NULL
--   for missing. Written pseudonymised when the consumers run with PSEUDONYMIZATION_KEY.
WITH
findings AS (
  SELECT h.workspace, 'request' AS source, h.event_id, h.event_time, d AS entry
  FROM {{request_history}} AS h
  CROSS JOIN UNNEST(h.payload_drift) AS d
  UNION ALL
  SELECT h.workspace, 'platform' AS source, h.event_id, h.event_time, d AS entry
  FROM {{ticket_history}} AS h
  CROSS JOIN UNNEST(h.payload_drift) AS d
),
parts AS (
  SELECT
    workspace,
    source,
    event_id,
    event_time,
    JSON_EXTRACT_SCALAR(entry, '$[1]') AS path,
    JSON_EXTRACT_SCALAR(entry, '$[0]') AS kind,
    JSON_EXTRACT_SCALAR(entry, '$[2]') AS example
  FROM findings
),
firsts AS (
  SELECT workspace, source, path, kind, example
  FROM parts
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
  FROM parts
  GROUP BY workspace, source, path, kind
)
SELECT t.workspace, t.source, t.path, t.kind, t.first_seen, t.last_seen, t.events, f.example
FROM totals AS t
JOIN firsts AS f
  ON f.workspace = t.workspace AND f.source = t.source AND f.path = t.path AND f.kind = t.kind
