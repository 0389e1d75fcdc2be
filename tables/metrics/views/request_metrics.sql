-- One row per request (workspace, request_id): the numbers a support lead asks about, over the
-- views that give each fact once, so repeated and late deliveries change nothing. A backfilled
-- snapshot (action BACKFILL) is a state like any other.
--
-- team_id, team_name, customer_name, status, closed_at: the latest state's (request_latest);
--   closed_at is its closed_on, NULL while the request is open.
-- created_at: the earliest createdAt any state carried (Thena repeats the same one in every state;
--   a state without it does not blank it).
-- first_assigned_at: the earliest event_time of an event naming an assignee (assignments with an
--   assigned_to_id); for a request first seen as a backfilled snapshot, that snapshot's time.
-- first_response_at: the earliest activity_ts of an activity item whose user_id is not the latest
--   state's requestor_id. An item with no user_id does not count, and a request whose latest state
--   names no requestor has none: a reply cannot be told from the request itself.
-- time_to_assign_s, first_response_s, resolution_s: seconds from created_at to first_assigned_at,
--   first_response_at, closed_at, truncated toward zero (59.9 s is 59), as BigQuery's
--   TIMESTAMP_DIFF(…, SECOND) counts; negative when a source clock put the later event first;
--   NULL when either end is. Computed from UNIX_MICROS, exact in both engines.
-- reopen_count: transitions from closed (closed_on set) to open (closed_on NULL) between
--   consecutive states in event_time order (at equal times a snapshot before a webhook, then by
--   received_at, event_id: request_latest's order).
-- escalated: an event with the action ESCALATE was seen, in any letter case (Thena does not
--   document the escalation action's spelling; CREATE and UPDATE come upper case).
-- csat_rating: the mean over raters of each rater's latest rating: the readable entry first seen
--   latest (csat keeps each entry as first seen, so a changed rating is a new, later entry; two
--   entries of one rater first seen in the same event are not ordered by Thena, and the higher
--   wins). csat_responses: how many raters have a rating (0 when none; csat_rating is then NULL).
--   A rater who goes back to a rating they gave before is not seen: that entry was seen first.
-- activity_count: distinct activity items (rows of activity).
-- Beyond the contract's columns: assignee_id (the latest state's assigned_to_id), assignee_name
-- (the name the latest assignment of this request to that assignee gave), last_event_at (the
-- latest state's event_time), which team_daily and assignee_daily use.
WITH
latest AS (
  SELECT workspace, request_id, team_id, team_name, customer_name, status, closed_on, requestor_id,
         assigned_to_id, event_time
  FROM {{request_latest}}
),
states AS (
  SELECT
    workspace,
    request_id,
    MIN(created_at) AS created_at,
    COUNT(CASE WHEN UPPER(action) = 'ESCALATE' THEN 1 END) > 0 AS escalated,
    COUNT(CASE WHEN was_closed AND closed_on IS NULL THEN 1 END) AS reopen_count
  FROM (
    SELECT
      workspace,
      request_id,
      action,
      created_at,
      closed_on,
      LAG(closed_on IS NOT NULL) OVER (
        PARTITION BY workspace, request_id
        ORDER BY event_time, CASE WHEN action = 'BACKFILL' THEN 0 ELSE 1 END, received_at, event_id
      ) AS was_closed
    FROM {{request_history}}
  )
  GROUP BY workspace, request_id
),
assigned AS (
  SELECT workspace, request_id, MIN(event_time) AS first_assigned_at
  FROM {{assignments}}
  WHERE assigned_to_id IS NOT NULL
  GROUP BY workspace, request_id
),
assignee_names AS (
  SELECT workspace, request_id, assigned_to_id, assigned_to_name
  FROM {{assignments}}
  WHERE assigned_to_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY workspace, request_id, assigned_to_id
    ORDER BY event_time DESC, event_id DESC
  ) = 1
),
activity_stats AS (
  SELECT
    a.workspace,
    a.request_id,
    COUNT(*) AS activity_count,
    MIN(CASE WHEN a.user_id != l.requestor_id THEN a.activity_ts END) AS first_response_at
  FROM {{activity}} AS a
  JOIN latest AS l ON a.workspace = l.workspace AND a.request_id = l.request_id
  GROUP BY a.workspace, a.request_id
),
ratings AS (
  SELECT workspace, request_id, AVG(rating) AS csat_rating, COUNT(*) AS csat_responses
  FROM (
    SELECT workspace, request_id, rating
    FROM {{csat}}
    WHERE rating IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (
      PARTITION BY workspace, request_id, rater
      ORDER BY event_time DESC, rating DESC
    ) = 1
  )
  GROUP BY workspace, request_id
)
SELECT
  l.workspace,
  l.request_id,
  l.team_id,
  l.team_name,
  l.customer_name,
  l.status,
  s.created_at,
  g.first_assigned_at,
  x.first_response_at,
  l.closed_on AS closed_at,
  CAST(TRUNC((UNIX_MICROS(g.first_assigned_at) - UNIX_MICROS(s.created_at)) / 1000000) AS INT64) AS time_to_assign_s,
  CAST(TRUNC((UNIX_MICROS(x.first_response_at) - UNIX_MICROS(s.created_at)) / 1000000) AS INT64) AS first_response_s,
  CAST(TRUNC((UNIX_MICROS(l.closed_on) - UNIX_MICROS(s.created_at)) / 1000000) AS INT64) AS resolution_s,
  s.reopen_count,
  s.escalated,
  r.csat_rating,
  COALESCE(r.csat_responses, 0) AS csat_responses,
  COALESCE(x.activity_count, 0) AS activity_count,
  l.assigned_to_id AS assignee_id,
  n.assigned_to_name AS assignee_name,
  l.event_time AS last_event_at
FROM latest AS l
JOIN states AS s ON s.workspace = l.workspace AND s.request_id = l.request_id
LEFT JOIN assigned AS g ON g.workspace = l.workspace AND g.request_id = l.request_id
LEFT JOIN assignee_names AS n
  ON n.workspace = l.workspace AND n.request_id = l.request_id AND n.assigned_to_id = l.assigned_to_id
LEFT JOIN activity_stats AS x ON x.workspace = l.workspace AND x.request_id = l.request_id
LEFT JOIN ratings AS r ON r.workspace = l.workspace AND r.request_id = l.request_id
