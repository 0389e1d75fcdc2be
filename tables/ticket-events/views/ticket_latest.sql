-- One row per ticket (workspace, ticket_id): its state as of its latest event (greatest
-- event_time, then latest received), so a late or replayed event cannot flip a status back.
--
-- Not every event carries the whole ticket: ticket:status:changed and its kin may carry only what
-- changed, and ticket:deleted only the deleted ticket. Taking the latest row whole would lose the
-- title whenever the last event did not repeat it, so each state column is the value of the
-- latest event that carried one (LAST_VALUE ... IGNORE NULLS over the ticket's events in order):
-- in an event, NULL means "not said", never "cleared". The one field Thena clears is the assignee
-- (sent as null when unassigned): ticket_events.is_assigned tells unassigned (FALSE) from not
-- said (NULL), so the assignee columns come from the latest event that said anything about the
-- assignee ('' stands in for its NULLs inside the window, which IGNORE NULLS would skip).
-- Tags are left to ticket_history: BigQuery reads a NULL list as [], so there "not said" and "no
-- tags" look alike.
--
-- Deleted and archived tickets stay, flagged: deleted_at is the latest ticket:deleted event
-- (Thena documents no undelete); is_archived is what the latest event that said anything said
-- (ticket:archived, ticket:unarchived, or the ticket's isArchived), archived_at the latest
-- ticket:archived event while the ticket is archived (NULL when its archival was only seen as
-- isArchived). Both flags are FALSE unless an event said otherwise. Events about no ticket
-- (account, user and organization events) are not tickets and are left out.
--
-- A named WINDOW and an outer WHERE instead of QUALIFY: DuckDB wants WINDOW before QUALIFY and
-- BigQuery after it, so the two cannot share one SELECT.
SELECT
  workspace,
  ticket_id,
  event_id,
  event_type,
  event_time,
  received_at,
  ticket_number,
  title,
  description,
  status,
  status_id,
  priority,
  priority_id,
  sentiment,
  ticket_type,
  source,
  team_id,
  team_name,
  sub_team_id,
  sub_team_name,
  is_assigned,
  assignee_id,
  assignee_email,
  assignee_name,
  customer_id,
  customer_email,
  is_escalated,
  is_archived,
  archived_at,
  is_deleted,
  deleted_at,
  ai_title,
  ai_summary,
  created_at,
  updated_at,
  first_event_time,
  event_count
FROM (
  SELECT
    workspace,
    ticket_id,
    event_id,
    event_type,
    event_time,
    received_at,
    LAST_VALUE(ticket_number IGNORE NULLS) OVER carried AS ticket_number,
    LAST_VALUE(title IGNORE NULLS) OVER carried AS title,
    LAST_VALUE(description IGNORE NULLS) OVER carried AS description,
    LAST_VALUE(status IGNORE NULLS) OVER carried AS status,
    LAST_VALUE(status_id IGNORE NULLS) OVER carried AS status_id,
    LAST_VALUE(priority IGNORE NULLS) OVER carried AS priority,
    LAST_VALUE(priority_id IGNORE NULLS) OVER carried AS priority_id,
    LAST_VALUE(sentiment IGNORE NULLS) OVER carried AS sentiment,
    LAST_VALUE(ticket_type IGNORE NULLS) OVER carried AS ticket_type,
    LAST_VALUE(source IGNORE NULLS) OVER carried AS source,
    LAST_VALUE(team_id IGNORE NULLS) OVER carried AS team_id,
    LAST_VALUE(team_name IGNORE NULLS) OVER carried AS team_name,
    LAST_VALUE(sub_team_id IGNORE NULLS) OVER carried AS sub_team_id,
    LAST_VALUE(sub_team_name IGNORE NULLS) OVER carried AS sub_team_name,
    LAST_VALUE(is_assigned IGNORE NULLS) OVER carried AS is_assigned,
    NULLIF(
      LAST_VALUE(CASE WHEN is_assigned IS NOT NULL THEN COALESCE(assignee_id, '') END IGNORE NULLS) OVER carried,
      ''
    ) AS assignee_id,
    NULLIF(
      LAST_VALUE(CASE WHEN is_assigned IS NOT NULL THEN COALESCE(assignee_email, '') END IGNORE NULLS) OVER carried,
      ''
    ) AS assignee_email,
    NULLIF(
      LAST_VALUE(CASE WHEN is_assigned IS NOT NULL THEN COALESCE(assignee_name, '') END IGNORE NULLS) OVER carried,
      ''
    ) AS assignee_name,
    LAST_VALUE(customer_id IGNORE NULLS) OVER carried AS customer_id,
    LAST_VALUE(customer_email IGNORE NULLS) OVER carried AS customer_email,
    LAST_VALUE(is_escalated IGNORE NULLS) OVER carried AS is_escalated,
    COALESCE(LAST_VALUE(is_archived IGNORE NULLS) OVER carried, FALSE) AS is_archived,
    CASE
      WHEN LAST_VALUE(is_archived IGNORE NULLS) OVER carried
        THEN MAX(CASE WHEN event_type = 'ticket:archived' THEN event_time END) OVER per_ticket
    END AS archived_at,
    (MAX(CASE WHEN event_type = 'ticket:deleted' THEN event_time END) OVER per_ticket) IS NOT NULL AS is_deleted,
    MAX(CASE WHEN event_type = 'ticket:deleted' THEN event_time END) OVER per_ticket AS deleted_at,
    LAST_VALUE(ai_title IGNORE NULLS) OVER carried AS ai_title,
    LAST_VALUE(ai_summary IGNORE NULLS) OVER carried AS ai_summary,
    LAST_VALUE(created_at IGNORE NULLS) OVER carried AS created_at,
    LAST_VALUE(updated_at IGNORE NULLS) OVER carried AS updated_at,
    MIN(event_time) OVER per_ticket AS first_event_time,
    COUNT(*) OVER per_ticket AS event_count,
    ROW_NUMBER() OVER (
      PARTITION BY workspace, ticket_id
      ORDER BY event_time DESC, received_at DESC, event_id DESC
    ) AS latest_rank
  FROM {{ticket_history}}
  WHERE ticket_id IS NOT NULL
  WINDOW
    per_ticket AS (PARTITION BY workspace, ticket_id),
    carried AS (
      PARTITION BY workspace, ticket_id
      ORDER BY event_time, received_at, event_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    )
)
WHERE latest_rank = 1
