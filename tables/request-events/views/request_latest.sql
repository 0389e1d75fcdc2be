-- One row per request: its state at the greatest event_time, so a late or replayed event cannot
-- flip a status back, and a backfilled snapshot (action BACKFILL) older than a webhook's state
-- never wins. Ties (same event_time) go to a webhook over a snapshot, then to the latest received.
SELECT *
FROM {{request_history}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY workspace, request_id
  ORDER BY event_time DESC, CASE WHEN action = 'BACKFILL' THEN 0 ELSE 1 END DESC, received_at DESC, event_id DESC
) = 1
