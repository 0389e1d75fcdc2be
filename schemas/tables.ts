// The tables of the lake and of BigQuery, declared once. The Parquet schema and the BigQuery
// schema are both derived from these declarations (services/consumers/parquet/schema.ts and the
// BigQuery sink), so a column is added here and nowhere else.
//
// Row values handed to the sinks: STRING -> string | null, INT64 -> number | null (values stay
// within 2^53), TIMESTAMP -> bigint microseconds since the epoch (UTC) | null, BOOL ->
// boolean | null, mode REPEATED -> string[] | null (null: the field was absent).

/**
 * TIMESTAMP values must lie within ±(2^53 − 1) µs of the epoch (about 1685 to 2255): exact in a
 * JavaScript number and writable by the Parquet writer. Flatteners turn anything outside into NULL.
 */
export const maxTimestampMicros = BigInt(Number.MAX_SAFE_INTEGER);

export type ColumnType = 'STRING' | 'INT64' | 'TIMESTAMP' | 'BOOL';
export type ColumnMode = 'REQUIRED' | 'NULLABLE' | 'REPEATED';

export interface ColumnDeclaration {
  name: string;
  type: ColumnType;
  mode: ColumnMode;
  description: string;
  /**
   * Personal data, for the opt-in pseudonymisation (PSEUDONYMIZATION_KEY): `identity` values (names,
   * e-mail addresses) become keyed hashes; `text` keeps its words but its e-mail addresses become
   * keyed hashes; `payload` is JSON whose identity fields and texts are treated the same way (text
   * that does not parse as JSON has its e-mail addresses and `"name": "…"`-style members hashed).
   */
  personal?: 'identity' | 'text' | 'payload';
}

export interface TableDeclaration {
  name: string;
  description: string;
  columns: readonly ColumnDeclaration[];
  /** Columns that identify a fact: the views keep one row per key, BigQuery's insertId is built from it. */
  factKey: readonly string[];
  /** Day partitioning (lake: dt=YYYY-MM-DD; BigQuery: time partitioning) is on this column. */
  partitionColumn: 'event_time' | 'received_at';
  clustering: readonly string[];
}

const col = (
  name: string,
  type: ColumnType,
  mode: ColumnMode,
  description: string,
  personal?: ColumnDeclaration['personal'],
): ColumnDeclaration => ({ name, type, mode, description, ...(personal ? { personal } : {}) });

/** Every row of every table except rejected_events carries these. */
const eventColumns = [
  col('event_id', 'STRING', 'REQUIRED', 'First 32 hex characters of SHA-256 over the webhook body in RFC 8785 form.'),
  col('request_id', 'STRING', 'REQUIRED', "Thena's requestId as a decimal string."),
  col(
    'event_time',
    'TIMESTAMP',
    'REQUIRED',
    'updatedAt, else createdAt, else the time the ingress received the event (UTC).',
  ),
];

export const requestEvents: TableDeclaration = {
  name: 'request_events',
  description: 'One row per accepted webhook: the history of each request.',
  factKey: ['event_id'],
  partitionColumn: 'event_time',
  clustering: ['request_id', 'team_id'],
  columns: [
    ...eventColumns,
    col('action', 'STRING', 'REQUIRED', 'CREATE, UPDATE, or another value Thena sent (escalation).'),
    col('received_at', 'TIMESTAMP', 'REQUIRED', 'When the ingress accepted the webhook.'),
    col('created_at', 'TIMESTAMP', 'NULLABLE', 'request.createdAt'),
    col('updated_at', 'TIMESTAMP', 'NULLABLE', 'request.updatedAt'),
    col('closed_on', 'TIMESTAMP', 'NULLABLE', 'request.closed_on'),
    col('status', 'STRING', 'NULLABLE', 'request.status'),
    col('team_id', 'STRING', 'NULLABLE', 'request.team_id'),
    col('team_name', 'STRING', 'NULLABLE', 'request.team_name'),
    col('channel_id', 'STRING', 'NULLABLE', 'request.channelId'),
    col('channel_name', 'STRING', 'NULLABLE', 'request.channelName'),
    col('customer_name', 'STRING', 'NULLABLE', 'request.customer_name', 'identity'),
    col('requestor_id', 'STRING', 'NULLABLE', 'request.requestor.id'),
    col('assigned_to_id', 'STRING', 'NULLABLE', 'request.assignedTo.id'),
    col('assigned_by_id', 'STRING', 'NULLABLE', 'request.assignedBy.id'),
    col('closed_by_id', 'STRING', 'NULLABLE', 'request.closed_by.id'),
    col(
      'reply_count',
      'INT64',
      'NULLABLE',
      'request.replyCount; NULL when it cannot be read as an integer without loss.',
    ),
    col('ai_title', 'STRING', 'NULLABLE', 'request.AI_requestTitle', 'text'),
    col('ai_summary', 'STRING', 'NULLABLE', 'request.AI_requestSummary', 'text'),
    col('ai_sentiment', 'STRING', 'NULLABLE', 'request.AI_requestSentiment'),
    col('ai_urgency', 'STRING', 'NULLABLE', 'request.AI_requestUrgency'),
    col('ai_tags', 'STRING', 'REPEATED', 'request.AI_generatedTags'),
    col('is_internal_helpdesk', 'BOOL', 'NULLABLE', 'request.isInternalHelpdesk'),
    col('is_private_channel', 'BOOL', 'NULLABLE', 'request.isPrivateChannel'),
    col('description_html', 'STRING', 'NULLABLE', 'request.description as sent (HTML).', 'text'),
    col(
      'description_text',
      'STRING',
      'NULLABLE',
      'request.description as plain text: tags removed, entities decoded.',
      'text',
    ),
    col('request_ts', 'TIMESTAMP', 'NULLABLE', 'request.requestTs (Slack timestamp).'),
    col(
      'field_problems_json',
      'STRING',
      'NULLABLE',
      'Fields of the wrong type, as the ingress recorded them (JSON), or NULL.',
    ),
    col(
      'payload_json',
      'STRING',
      'REQUIRED',
      'The whole request object as JSON text, unknown fields included.',
      'payload',
    ),
  ],
};

export const requestActivity: TableDeclaration = {
  name: 'request_activity',
  description: 'One row per activity item seen in an event (payloads are cumulative: see the activity view).',
  factKey: ['request_id', 'activity_id', 'activity_ts_raw'],
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [
    ...eventColumns,
    col('activity_index', 'INT64', 'REQUIRED', 'Position of the item in the event’s activity array.'),
    col('activity_id', 'STRING', 'NULLABLE', 'activity[].id'),
    col('activity_ts', 'TIMESTAMP', 'NULLABLE', 'activity[].ts as a timestamp (microseconds).'),
    col('activity_ts_raw', 'STRING', 'NULLABLE', 'activity[].ts as sent (Slack timestamp text).'),
    col('user_id', 'STRING', 'NULLABLE', 'activity[].user.id'),
    col('user_name', 'STRING', 'NULLABLE', 'activity[].user.name', 'identity'),
    col('text_html', 'STRING', 'NULLABLE', 'activity[].text as sent (HTML).', 'text'),
    col('text_plain', 'STRING', 'NULLABLE', 'activity[].text as plain text.', 'text'),
  ],
};

export const requestAssignments: TableDeclaration = {
  name: 'request_assignments',
  description: 'One row per event that names an assignee.',
  factKey: ['event_id'],
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [
    ...eventColumns,
    col('status', 'STRING', 'NULLABLE', 'request.status at that event.'),
    col('assigned_to_id', 'STRING', 'NULLABLE', 'request.assignedTo.id'),
    col('assigned_to_name', 'STRING', 'NULLABLE', 'request.assignedTo.name', 'identity'),
    col('assigned_by_id', 'STRING', 'NULLABLE', 'request.assignedBy.id'),
    col('assigned_by_name', 'STRING', 'NULLABLE', 'request.assignedBy.name', 'identity'),
  ],
};

export const requestCsat: TableDeclaration = {
  name: 'request_csat',
  description: 'One row per CSAT entry (<p> of request.feedbacks) seen in an event.',
  factKey: ['request_id', 'rater', 'rating', 'comment'],
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [
    ...eventColumns,
    col('rater', 'STRING', 'NULLABLE', 'Who gave the rating, as Thena wrote it.', 'identity'),
    col('rating', 'INT64', 'NULLABLE', 'The rating; NULL when the entry cannot be read.'),
    col('comment', 'STRING', 'NULLABLE', 'The additional feedback, plain text, or NULL.', 'text'),
    col('feedback_html', 'STRING', 'REQUIRED', 'The entry as sent (HTML).', 'text'),
  ],
};

export const rejectedEvents: TableDeclaration = {
  name: 'rejected_events',
  description: 'One row per dead-letter record: bodies the ingress rejected and messages a consumer could not process.',
  factKey: ['dlq_partition', 'dlq_offset'],
  partitionColumn: 'received_at',
  clustering: ['reason'],
  columns: [
    col('received_at', 'TIMESTAMP', 'REQUIRED', 'When the body was rejected or the message failed.'),
    col('source', 'STRING', 'REQUIRED', "'ingress' or the consumer service that failed."),
    col('reason', 'STRING', 'REQUIRED', 'Why, as a short code.'),
    col('details_json', 'STRING', 'NULLABLE', 'The problems found ([{path, message}] as JSON).'),
    col('raw_body', 'STRING', 'NULLABLE', 'The body as received.', 'payload'),
    col('origin_topic', 'STRING', 'NULLABLE', 'For consumer failures: the source topic.'),
    col('origin_partition', 'INT64', 'NULLABLE', 'For consumer failures: the source partition.'),
    col('origin_offset', 'STRING', 'NULLABLE', 'For consumer failures: the source offset.'),
    col('dlq_partition', 'INT64', 'REQUIRED', 'Partition of the dead-letter record.'),
    col('dlq_offset', 'STRING', 'REQUIRED', 'Offset of the dead-letter record.'),
  ],
};

export const tables = [requestEvents, requestActivity, requestAssignments, requestCsat, rejectedEvents] as const;
