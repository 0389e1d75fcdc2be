-- Each activity item once, as first seen. Payloads are cumulative, so every later event of a
-- request repeats its earlier items.
SELECT *
FROM {{request_activity}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY {{fact_key}}
  ORDER BY event_time, event_id, activity_index
) = 1
