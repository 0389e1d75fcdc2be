-- One row per event (each once: request_history, ticket_history) and payload-drift finding recorded
-- in its payload_drift column: the rows payload_drift and payload_drift_daily sum up.
-- source: request (the request webhook and the requests backfill) or platform (platform events).
-- path: members joined with '.', arrays as '[]' (request.activity[].ts); a key's own '\', '.', '['
--   and ']' are escaped with '\'.
-- kind: unknown (a member the description does not name), type (a JSON type it does not allow),
--   missing (an expected field absent).
-- example: the value found, as JSON text (strings cut at 100 characters, large objects and arrays
--   named only); NULL for missing. Pseudonymised when the consumers run with PSEUDONYMIZATION_KEY.
WITH
entries AS (
  SELECT h.workspace, 'request' AS source, h.event_id, h.event_time, d AS entry
  FROM {{request_history}} AS h
  CROSS JOIN UNNEST(h.payload_drift) AS d
  UNION ALL
  SELECT h.workspace, 'platform' AS source, h.event_id, h.event_time, d AS entry
  FROM {{ticket_history}} AS h
  CROSS JOIN UNNEST(h.payload_drift) AS d
)
SELECT
  workspace,
  source,
  event_id,
  event_time,
  JSON_EXTRACT_SCALAR(entry, '$[1]') AS path,
  JSON_EXTRACT_SCALAR(entry, '$[0]') AS kind,
  JSON_EXTRACT_SCALAR(entry, '$[2]') AS example
FROM entries
