-- Each platform event once. Thena retries deliveries (it asks receivers to be idempotent on
-- eventId) and the ingress may publish an event whose answer timed out, so ticket_events can hold
-- an event more than once; the first received is kept.
SELECT *
FROM {{ticket_events}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY {{fact_key}} ORDER BY received_at, event_time) = 1
