-- One row per comment (workspace, comment_id): its latest state, deleted comments kept and flagged.
--
-- As in ticket_latest, each column is the value of the latest event that carried one (NULL in an
-- event means "not said"): an update that sends only the new content keeps the author, and a
-- deletion that sends only the comment's id keeps its last content, flagged is_deleted with
-- deleted_at (the earliest deletion seen; Thena documents no restore). edit_count counts the
-- ticket:comment:updated events. Events that name no comment are left out.
--
-- A named WINDOW and an outer WHERE instead of QUALIFY: DuckDB wants WINDOW before QUALIFY and
-- BigQuery after it, so the two cannot share one SELECT.
SELECT
  workspace,
  comment_id,
  ticket_id,
  event_id,
  event_type,
  event_time,
  received_at,
  parent_comment_id,
  author_id,
  author_name,
  author_email,
  author_type,
  customer_contact_id,
  customer_contact_email,
  comment_type,
  visibility,
  content_text,
  content_html,
  content_markdown,
  comment_created_at,
  comment_updated_at,
  is_deleted,
  deleted_at,
  first_event_time,
  edit_count
FROM (
  SELECT
    workspace,
    comment_id,
    LAST_VALUE(ticket_id IGNORE NULLS) OVER carried AS ticket_id,
    event_id,
    event_type,
    event_time,
    received_at,
    LAST_VALUE(parent_comment_id IGNORE NULLS) OVER carried AS parent_comment_id,
    LAST_VALUE(author_id IGNORE NULLS) OVER carried AS author_id,
    LAST_VALUE(author_name IGNORE NULLS) OVER carried AS author_name,
    LAST_VALUE(author_email IGNORE NULLS) OVER carried AS author_email,
    LAST_VALUE(author_type IGNORE NULLS) OVER carried AS author_type,
    LAST_VALUE(customer_contact_id IGNORE NULLS) OVER carried AS customer_contact_id,
    LAST_VALUE(customer_contact_email IGNORE NULLS) OVER carried AS customer_contact_email,
    LAST_VALUE(comment_type IGNORE NULLS) OVER carried AS comment_type,
    LAST_VALUE(visibility IGNORE NULLS) OVER carried AS visibility,
    LAST_VALUE(content_text IGNORE NULLS) OVER carried AS content_text,
    LAST_VALUE(content_html IGNORE NULLS) OVER carried AS content_html,
    LAST_VALUE(content_markdown IGNORE NULLS) OVER carried AS content_markdown,
    MIN(comment_created_at) OVER per_comment AS comment_created_at,
    LAST_VALUE(comment_updated_at IGNORE NULLS) OVER carried AS comment_updated_at,
    (MIN(CASE WHEN is_deleted THEN deleted_at END) OVER per_comment) IS NOT NULL AS is_deleted,
    MIN(CASE WHEN is_deleted THEN deleted_at END) OVER per_comment AS deleted_at,
    MIN(event_time) OVER per_comment AS first_event_time,
    COUNT(CASE WHEN event_type = 'ticket:comment:updated' THEN 1 END) OVER per_comment AS edit_count,
    ROW_NUMBER() OVER (
      PARTITION BY workspace, comment_id
      ORDER BY event_time DESC, received_at DESC, event_id DESC
    ) AS latest_rank
  FROM {{comment_history}}
  WHERE comment_id IS NOT NULL
  WINDOW
    per_comment AS (PARTITION BY workspace, comment_id),
    carried AS (
      PARTITION BY workspace, comment_id
      ORDER BY event_time, received_at, event_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    )
)
WHERE latest_rank = 1
