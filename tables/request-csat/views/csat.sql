-- Each CSAT entry once, as first seen (feedbacks is cumulative text).
SELECT *
FROM {{request_csat}}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY {{fact_key}}
  ORDER BY event_time, event_id
) = 1
