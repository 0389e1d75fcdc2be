-- One row per request: its state at the greatest event_time, so a late or replayed event cannot
-- flip a status back. Ties (same event_time) go to the latest received.
SELECT *
FROM {{request_history}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY request_id
  ORDER BY event_time DESC, received_at DESC, event_id DESC
) = 1
