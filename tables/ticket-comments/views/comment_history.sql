-- Each comment event once: deliveries repeat (see ticket_history), so ticket_comments can hold an
-- event more than once; the first received is kept.
SELECT *
FROM {{ticket_comments}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY {{fact_key}} ORDER BY received_at, event_time) = 1
