-- Each assignment-bearing event once.
SELECT *
FROM {{request_assignments}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY {{fact_key}} ORDER BY event_time) = 1
