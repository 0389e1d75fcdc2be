-- One row per team and UTC day (workspace, team_id, team_name, day), from request_metrics. A
-- request belongs to the team of its latest state; requests with no team make the rows whose
-- team_id is NULL. team_name is the name the team's most recently updated request carries (the
-- greatest last_event_at, then request_id), so a renamed team keeps one row a day.
--
-- Days that get a row: those on which one of the team's requests was created (created_at) or
-- closed (closed_at, its final closing). On any other day nothing below changes: the backlog is
-- the previous row's.
-- created: requests created that day. closed: requests whose closed_at falls that day (a request
--   closed, reopened and closed again counts on its final closing day only; request_metrics
--   counts its reopens).
-- open_at_end_of_day: requests created on or before the day whose closed_at is NULL or later than
--   the day: a running sum of +1 on the creation day and -1 on the later of the creation and
--   closing days. A request with no created_at is counted in closed only.
-- first_response_p50_s, first_response_p90_s: over the requests created that day that have a
--   first response. resolution_p50_s, csat_mean, csat_count: over the requests closed that day;
--   csat_mean is the mean of their csat_rating (each rated request weighs once), csat_count how
--   many of them have one. NULL (count 0) when there is none.
-- Percentiles are exact nearest-rank values: the p-th is the smallest value with at least p% of
--   the values at or below it (rank ceil(p·n), found as the first rank r with r·100 >= p·n in
--   integers), a value that occurred; for an even count the p50 is the lower middle. Both engines
--   give the same, which BigQuery's APPROX_QUANTILES would not.
--
-- assignee_daily is this view with the request's current assignee in place of its team.
WITH
requests AS (
  SELECT
    workspace,
    team_id,
    LAST_VALUE(team_name IGNORE NULLS) OVER (
      PARTITION BY workspace, team_id
      ORDER BY last_event_at, request_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS team_name,
    CAST(created_at AS DATE) AS created_day,
    CAST(closed_at AS DATE) AS closed_day,
    first_response_s,
    resolution_s,
    csat_rating
  FROM {{request_metrics}}
),
-- What each request adds to a day: its creation, its closing, and its leaving the backlog.
marks AS (
  SELECT workspace, team_id, team_name, created_day AS day, 'created' AS mark,
         first_response_s, NULL AS resolution_s, NULL AS csat_rating
  FROM requests
  WHERE created_day IS NOT NULL
  UNION ALL
  SELECT workspace, team_id, team_name, closed_day AS day, 'closed' AS mark,
         NULL AS first_response_s, resolution_s, csat_rating
  FROM requests
  WHERE closed_day IS NOT NULL
  UNION ALL
  SELECT workspace, team_id, team_name,
         CASE WHEN closed_day > created_day THEN closed_day ELSE created_day END AS day, 'left' AS mark,
         NULL AS first_response_s, NULL AS resolution_s, NULL AS csat_rating
  FROM requests
  WHERE created_day IS NOT NULL AND closed_day IS NOT NULL
),
ranked AS (
  SELECT
    workspace, team_id, team_name, day, mark, first_response_s, resolution_s, csat_rating,
    ROW_NUMBER() OVER (PARTITION BY workspace, team_id, day ORDER BY first_response_s NULLS LAST) AS response_rank,
    COUNT(first_response_s) OVER (PARTITION BY workspace, team_id, day) AS responses,
    ROW_NUMBER() OVER (PARTITION BY workspace, team_id, day ORDER BY resolution_s NULLS LAST) AS resolution_rank,
    COUNT(resolution_s) OVER (PARTITION BY workspace, team_id, day) AS resolutions
  FROM marks
)
SELECT
  workspace,
  team_id,
  team_name,
  day,
  COUNT(CASE WHEN mark = 'created' THEN 1 END) AS created,
  COUNT(CASE WHEN mark = 'closed' THEN 1 END) AS closed,
  CAST(SUM(COUNT(CASE WHEN mark = 'created' THEN 1 END) - COUNT(CASE WHEN mark = 'left' THEN 1 END)) OVER (
    PARTITION BY workspace, team_id
    ORDER BY day
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS INT64) AS open_at_end_of_day,
  MIN(CASE WHEN response_rank * 100 >= responses * 50 THEN first_response_s END) AS first_response_p50_s,
  MIN(CASE WHEN response_rank * 100 >= responses * 90 THEN first_response_s END) AS first_response_p90_s,
  MIN(CASE WHEN resolution_rank * 100 >= resolutions * 50 THEN resolution_s END) AS resolution_p50_s,
  AVG(csat_rating) AS csat_mean,
  COUNT(csat_rating) AS csat_count
FROM ranked
GROUP BY workspace, team_id, team_name, day
