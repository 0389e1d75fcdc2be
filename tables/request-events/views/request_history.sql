-- Each accepted event once. Deliveries repeat (Thena retries, the ingress may publish an event
-- whose answer timed out), so request_events can hold an event_id more than once.
SELECT *
FROM {{request_events}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY {{fact_key}} ORDER BY received_at, event_time) = 1
