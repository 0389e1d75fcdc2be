-- One row per assignee and UTC day (workspace, assignee_id, assignee_name, day), from
-- request_metrics: team_daily with the request's current assignee (its latest state's
-- assigned_to_id) in place of its team, so every definition there holds here. Unassigned requests
-- make the rows whose assignee_id is NULL. assignee_name is the name the assignee's most recently
-- updated request gives them (the greatest last_event_at, then request_id).
--
-- Days that get a row: those on which one of the assignee's requests was created or closed (its
-- final closing, closed_at).
-- created, closed, open_at_end_of_day: requests created that day, closed that day, and created on
--   or before the day and not closed by its end (closed_at NULL or later).
-- first_response_p50_s, first_response_p90_s: over the requests created that day that have a
--   first response. resolution_p50_s, csat_mean (mean of csat_rating, each rated request weighing
--   once), csat_count: over the requests closed that day.
-- Percentiles are exact nearest-rank values (rank ceil(p·n), a value that occurred; for an even
--   count the p50 is the lower middle), the same in both engines.
WITH
requests AS (
  SELECT
    workspace,
    assignee_id,
    LAST_VALUE(assignee_name IGNORE NULLS) OVER (
      PARTITION BY workspace, assignee_id
      ORDER BY last_event_at, request_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS assignee_name,
    CAST(created_at AS DATE) AS created_day,
    CAST(closed_at AS DATE) AS closed_day,
    first_response_s,
    resolution_s,
    csat_rating
  FROM {{request_metrics}}
),
-- What each request adds to a day: its creation, its closing, and its leaving the backlog.
marks AS (
  SELECT workspace, assignee_id, assignee_name, created_day AS day, 'created' AS mark,
         first_response_s, NULL AS resolution_s, NULL AS csat_rating
  FROM requests
  WHERE created_day IS NOT NULL
  UNION ALL
  SELECT workspace, assignee_id, assignee_name, closed_day AS day, 'closed' AS mark,
         NULL AS first_response_s, resolution_s, csat_rating
  FROM requests
  WHERE closed_day IS NOT NULL
  UNION ALL
  SELECT workspace, assignee_id, assignee_name,
         CASE WHEN closed_day > created_day THEN closed_day ELSE created_day END AS day, 'left' AS mark,
         NULL AS first_response_s, NULL AS resolution_s, NULL AS csat_rating
  FROM requests
  WHERE created_day IS NOT NULL AND closed_day IS NOT NULL
),
ranked AS (
  SELECT
    workspace, assignee_id, assignee_name, day, mark, first_response_s, resolution_s, csat_rating,
    ROW_NUMBER() OVER (PARTITION BY workspace, assignee_id, day ORDER BY first_response_s NULLS LAST) AS response_rank,
    COUNT(first_response_s) OVER (PARTITION BY workspace, assignee_id, day) AS responses,
    ROW_NUMBER() OVER (PARTITION BY workspace, assignee_id, day ORDER BY resolution_s NULLS LAST) AS resolution_rank,
    COUNT(resolution_s) OVER (PARTITION BY workspace, assignee_id, day) AS resolutions
  FROM marks
)
SELECT
  workspace,
  assignee_id,
  assignee_name,
  day,
  COUNT(CASE WHEN mark = 'created' THEN 1 END) AS created,
  COUNT(CASE WHEN mark = 'closed' THEN 1 END) AS closed,
  CAST(SUM(COUNT(CASE WHEN mark = 'created' THEN 1 END) - COUNT(CASE WHEN mark = 'left' THEN 1 END)) OVER (
    PARTITION BY workspace, assignee_id
    ORDER BY day
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS INT64) AS open_at_end_of_day,
  MIN(CASE WHEN response_rank * 100 >= responses * 50 THEN first_response_s END) AS first_response_p50_s,
  MIN(CASE WHEN response_rank * 100 >= responses * 90 THEN first_response_s END) AS first_response_p90_s,
  MIN(CASE WHEN resolution_rank * 100 >= resolutions * 50 THEN resolution_s END) AS resolution_p50_s,
  AVG(csat_rating) AS csat_mean,
  COUNT(csat_rating) AS csat_count
FROM ranked
GROUP BY workspace, assignee_id, assignee_name, day
