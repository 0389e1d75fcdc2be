// Every setting the services read, one property per environment variable. This schema is the
// single description: services/shared/config.ts parses the environment with it, the Config type
// is derived from it, and docs/configuration.md's table is written from its descriptions.
// `x-expected` is what an operator sees after a bad value; `x-secret` values are never echoed.
import { kafkaSettings } from './config-kafka.schema.js';

export const configSchema = {
  $id: 'thena-lake/config',
  type: 'object',
  additionalProperties: false,
  properties: {
    PORT: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      default: 8080,
      description: 'TCP port the ingress listens on.',
      'x-expected': 'an integer port between 1 and 65535, e.g. 8080',
    },
    HOST: {
      type: 'string',
      minLength: 1,
      default: '0.0.0.0',
      description: 'Address the ingress binds to (npm start uses 127.0.0.1).',
      'x-expected': 'an IP address or host name, e.g. 0.0.0.0 or 127.0.0.1',
    },
    INGRESS_BODY_LIMIT_BYTES: {
      type: 'integer',
      minimum: 1024,
      // The topics' max.message.bytes (8 MiB) must hold the body in its envelope.
      maximum: 7340032,
      default: 4194304,
      description: 'Largest webhook body accepted, in bytes; larger ones get 413.',
      'x-expected': 'an integer from 1024 to 7340032 (7 MiB), e.g. 4194304',
    },
    INGRESS_PUBLISH_TIMEOUT_MS: {
      type: 'integer',
      minimum: 100,
      maximum: 60000,
      default: 5000,
      description: 'How long a webhook waits for Kafka to acknowledge its event before the answer is 503.',
      'x-expected': 'milliseconds from 100 to 60000, e.g. 5000',
    },
    INGRESS_KAFKA_PRODUCERS: {
      type: 'integer',
      minimum: 1,
      maximum: 16,
      // 1: on the 2-core bench machine more producers measured no faster (the ingress is CPU-bound
      // there, docs/benchmarks.md); more pay off where the broker's round trip, not the CPU, limits.
      default: 1,
      description:
        "Idempotent Kafka producers the ingress publishes through, each owning the partitions p with p % producers = its index, so that many batches are in flight at once (kafkajs allows one per producer and broker). A key's events always go through one producer, in order. Divisors of the topics' 6 partitions spread them evenly.",
      'x-expected': 'an integer from 1 to 16, e.g. 1 or 3',
    },
    INGRESS_REQUEST_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1000,
      maximum: 300000,
      default: 30000,
      description:
        'A request whose headers and body have not fully arrived by then is cut off (slow clients cannot hold connections open).',
      'x-expected': 'milliseconds from 1000 to 300000, e.g. 30000',
    },
    INGRESS_RATE_LIMIT_PER_MINUTE: {
      type: 'integer',
      minimum: 0,
      default: 60000,
      description:
        'Webhooks accepted per client address per minute before 429 (Thena sends from few addresses; a burst from one does not starve the others). 0: no limit.',
      'x-expected': 'a count per minute, e.g. 60000, or 0 for no limit',
    },
    INGRESS_TRUSTED_PROXIES: {
      type: 'array',
      // An IPv4 or IPv6 address or CIDR range, or one of proxy-addr's names for a class of them.
      items: { type: 'string', pattern: '^(loopback|linklocal|uniquelocal|[0-9A-Fa-f:.]+(/[0-9]{1,3})?)$' },
      default: [],
      description:
        "Addresses or CIDR ranges of the load balancers in front of the ingress. A request from one of them is rate-limited (and logged) by the client address in its X-Forwarded-For header instead of the balancer's own. Empty: the socket's address, so every sender behind a balancer shares one bucket.",
      'x-expected': 'comma-separated IP addresses or CIDR ranges, e.g. 10.0.0.0/8,127.0.0.1, or loopback',
    },
    INGRESS_SPOOL_DIR: {
      type: 'string',
      minLength: 1,
      default: './data/spool',
      description: 'Folder of the ingress spool: events Kafka could not take in time wait here (fsynced) until it can.',
      'x-expected': 'a folder path, e.g. ./data/spool',
    },
    INGRESS_SPOOL_MAX_BYTES: {
      type: 'integer',
      minimum: 0,
      default: 1073741824,
      description:
        'Bound of the spool in bytes; when full, webhooks get 503. 0 turns the spool off (503 whenever Kafka is late).',
      'x-expected': 'a byte count, e.g. 1073741824 (1 GiB), or 0 for no spool',
    },
    INGRESS_DRAIN_ON_EXIT_MS: {
      type: 'integer',
      minimum: 0,
      maximum: 3600000,
      default: 0,
      description:
        "How long a stopping ingress keeps publishing its spool to Kafka before it exits, once it no longer takes webhooks. 0: what the spool holds stays on its disk for the next start. Set it where a stopped instance may not come back on the same disk (Kubernetes scaling a StatefulSet down), within the platform's grace period.",
      'x-expected': 'milliseconds from 0 to 3600000, e.g. 120000',
    },
    INGRESS_AUTH_TOKENS: {
      type: 'array',
      // Printable ASCII only: anything else could never arrive in an HTTP header.
      items: { type: 'string', pattern: '^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$' },
      default: [],
      description:
        "Comma-separated values accepted in the authorization header; `workspace=token` names the request webhook's workspace, a bare token means `default`. Several may be given so a token can be rotated without downtime. Empty: no check (a warning is logged at start).",
      'x-expected':
        'comma-separated printable-ASCII tokens, each optionally preceded by workspace=, e.g. "acme=Bearer abc,Bearer def"',
      'x-secret': true,
    },
    ...kafkaSettings,
    LAKE_DIR: {
      type: 'string',
      minLength: 1,
      default: './data/lake',
      // A folder, or a bucket: gs:// and a valid bucket name, then an optional key prefix.
      pattern: '^(?![a-zA-Z][a-zA-Z0-9+.-]*://)|^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/.*)?$',
      description:
        'Where the Parquet lake is: a local folder, or a Google Cloud Storage bucket and prefix (gs://bucket/prefix). Tables are <table>/dt=YYYY-MM-DD/<file>.parquet under it (docs/lake.md).',
      'x-expected': 'a folder path or gs://<bucket>[/<prefix>], e.g. ./data/lake or gs://my-lake/thena',
    },
    GCS_API_ENDPOINT: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description:
        "GCS API root, set only to use an emulator (npm start's fake-gcs-server, e.g. http://127.0.0.1:4443). Unset: Google's API with the default credential chain.",
      'x-expected': 'an http(s) URL, e.g. http://127.0.0.1:4443',
    },
    LAKE_GCS_HMAC_KEY_ID: {
      type: 'string',
      minLength: 1,
      description:
        'HMAC key id DuckDB (npm run query, compact) reads the bucket with on Google Cloud; the services write with the credential chain.',
      'x-expected': 'an HMAC access id, e.g. GOOG1E...',
    },
    LAKE_GCS_HMAC_SECRET: {
      type: 'string',
      minLength: 1,
      description: 'The secret of LAKE_GCS_HMAC_KEY_ID.',
      'x-expected': 'the HMAC secret given with the key id',
      'x-secret': true,
    },
    LAKE_SCRATCH_DIR: {
      type: 'string',
      minLength: 1,
      description:
        "With the lake in a bucket: this machine's local folder for files on their way up (each process uses a subfolder of its own). Unset: the system's temporary folder.",
      'x-expected': 'a folder path, e.g. /var/tmp/thena-lake',
    },
    LAKE_RETENTION_DAYS: {
      type: 'integer',
      minimum: 1,
      description:
        'Opt-in: `npm run compact` removes day folders (dt=) older than this many days from every table. Unset: the lake keeps everything.',
      'x-expected': 'a positive number of days, e.g. 400',
    },
    LAKE_COMPACT_TARGET_MB: {
      type: 'integer',
      minimum: 1,
      maximum: 2048,
      default: 128,
      description: 'Compaction merges a closed day into files of about this size.',
      'x-expected': 'megabytes from 1 to 2048, e.g. 128',
    },
    LAKE_COMPACT_GRACE_SECONDS: {
      type: 'integer',
      minimum: 0,
      maximum: 86400,
      default: 300,
      description:
        'How long compaction leaves the replaced files in place after the merged ones are read instead, for queries that started before.',
      'x-expected': 'seconds from 0 to 86400, e.g. 300',
    },
    LAKE_FILE_MAX_ROWS: {
      type: 'integer',
      minimum: 1,
      default: 100000,
      description: 'A consumer closes its Parquet file (and commits its offsets) after this many rows.',
      'x-expected': 'a positive integer, e.g. 100000',
    },
    LAKE_FILE_MAX_BYTES: {
      type: 'integer',
      minimum: 1024,
      default: 67108864,
      description: 'A consumer closes its Parquet file after buffering about this many bytes of rows.',
      'x-expected': 'an integer of at least 1024, e.g. 67108864 (64 MiB)',
    },
    LAKE_FILE_MAX_AGE_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      default: 30,
      description:
        'A consumer closes its Parquet file this long after its first row, so the lake is fresh within a minute.',
      'x-expected': 'seconds from 1 to 3600, e.g. 30',
    },
    PAYLOAD_DRIFT_ACKNOWLEDGED: {
      type: 'array',
      items: { type: 'string', pattern: '^(request|platform):(unknown|type|missing):.+$' },
      default: [],
      description:
        'Payload drift that is known and should not alert (PayloadDrift): comma-separated `source:kind:path` entries, paths as the payload_drift view writes them. It is still counted and recorded, with acknowledged="true" on the counter.',
      'x-expected': 'entries such as request:unknown:request.brandNew,platform:type:payload.ticket.statusName',
    },
    METRICS_PORT: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      default: 9464,
      description: "Port of a consumer service's /healthz, /readyz and /metrics (0: any free port).",
      'x-expected': 'an integer port between 0 and 65535, e.g. 9464',
    },
    PSEUDONYMIZATION_KEY: {
      type: 'string',
      pattern: '^[\\x21-\\x7e]{32,}$',
      description:
        'Opt-in: with a key set, the consumers replace names and e-mail addresses in the tables (and inside free text and payload_json) with keyed hashes, so they can still be joined on but not read. Keep the key secret and stable: a new key gives new pseudonyms.',
      'x-expected': 'at least 32 printable ASCII characters, e.g. the output of `openssl rand -hex 32`',
      'x-secret': true,
    },
    BIGQUERY_PROJECT: {
      type: 'string',
      // Project ids: 6-30 lowercase letters, digits, hyphens; legacy ones carry a "domain:" prefix.
      pattern: '^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$',
      description: 'Google Cloud project of the BigQuery dataset. Unset: the BigQuery sink is off.',
      'x-expected': 'a Google Cloud project id, e.g. my-project-123',
    },
    BIGQUERY_DATASET: {
      type: 'string',
      pattern: '^[A-Za-z0-9_]{1,1024}$',
      default: 'thena_lake',
      description: 'BigQuery dataset that holds the tables and views.',
      'x-expected': 'letters, digits and underscores, e.g. thena_lake',
    },
    BIGQUERY_LOCATION: {
      type: 'string',
      pattern: '^[A-Za-z0-9-]{2,40}$',
      default: 'US',
      description:
        'Location of the dataset when migrate creates it (US, EU, europe-west1, ...). An existing dataset keeps its own.',
      'x-expected': 'a BigQuery location, e.g. US, EU or europe-west1',
    },
    BIGQUERY_MIGRATE_ON_START: {
      type: 'boolean',
      default: true,
      description:
        'Whether each consumer service runs the BigQuery migration at start (creates the dataset, tables and views; adds declared columns). Turn off where the services may not alter the dataset, and run `npm run migrate` instead.',
      'x-expected': 'true or false',
    },
    BIGQUERY_PARTITION_EXPIRATION_DAYS: {
      type: 'integer',
      minimum: 1,
      description:
        'Opt-in: `npm run migrate` (and each service migrating at start) sets this partition expiration on every table, so BigQuery drops day partitions past it; set it with LAKE_RETENTION_DAYS. Unset: migrate leaves the expiration of each table as it is.',
      'x-expected': 'a positive number of days, e.g. 400',
    },
    BIGQUERY_API_ENDPOINT: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: "BigQuery API root, set only to use an emulator (e.g. http://127.0.0.1:9050). Unset: Google's API.",
      'x-expected': 'an http(s) URL, e.g. http://127.0.0.1:9050',
    },
    BIGQUERY_STORAGE_API_ENDPOINT: {
      type: 'string',
      pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$',
      description:
        "BigQuery Storage Write API address (host:port, plaintext gRPC), set only to use an emulator (e.g. 127.0.0.1:9060). Unset: Google's API.",
      'x-expected': 'host:port, e.g. 127.0.0.1:9060',
    },
    BIGQUERY_APPEND_MAX_BYTES: {
      type: 'integer',
      minimum: 1048576,
      maximum: 10000000,
      default: 10000000,
      description:
        'The most one Storage Write API append may carry, in bytes: BigQuery takes 10 MB per AppendRows request, the emulator 4 MiB (npm start, compose and the tests set 4000000). Batches are split below it, and a row larger than it is written with its largest values cut (named in truncated_columns).',
      'x-expected': 'bytes from 1048576 to 10000000, e.g. 4000000',
    },
    BIGQUERY_BATCH_MAX_AGE_MS: {
      type: 'integer',
      minimum: 50,
      maximum: 600000,
      default: 1000,
      description:
        "A BigQuery sink appends what a partition gathered this long after its first row (the lake's files close on their own, larger deadline), so BigQuery is fresh within seconds.",
      'x-expected': 'milliseconds from 50 to 600000, e.g. 1000',
    },
    LOCAL_STATE_DIR: {
      type: 'string',
      minLength: 1,
      description:
        "npm start only: folder of its local Kafka's and emulator's state and of the service logs. Unset: .local/dev in the repository.",
      'x-expected': 'a folder path, e.g. .local/dev',
    },
    LOCAL_PORT_OFFSET: {
      type: 'integer',
      minimum: 0,
      // Keeps the ports below 32768, where Linux's ports for outgoing connections start.
      maximum: 20000,
      default: 0,
      description:
        "npm start only: added to every port it opens for its own services (Kafka 9092-9093, the emulator 9050 and 9060, the consumers' metrics 9101-9107), so a second stack can run beside a first. The ingress listens on PORT.",
      'x-expected': 'an integer from 0 to 20000, e.g. 1000',
    },
    LOCAL_LAKE_IN_BUCKET: {
      type: 'boolean',
      default: false,
      description:
        'npm start only: put the lake in a bucket (gs://thena-lake/lake) on a local fake-gcs-server (port 4443 + LOCAL_PORT_OFFSET) instead of the folder data/lake, as a lake shared by several machines would be.',
      'x-expected': 'true or false',
    },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: 'Least severe log level written (JSON lines on stdout).',
      'x-expected': 'one of fatal, error, warn, info, debug, trace, silent',
    },
    THENA_API_URL: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description:
        "Root of Thena's REST API, for `npm run backfill -- --since`: it reads {THENA_API_URL}/rest/v1/requests. Unset: the backfill reads files only.",
      'x-expected': 'an http(s) URL, e.g. https://api.thena.ai',
    },
    THENA_API_KEY: {
      type: 'string',
      pattern: '^[\\x21-\\x7e]+$',
      description:
        "Key of Thena's requests API (private beta), sent as `Authorization: Bearer <key>` by `npm run backfill`. Secret: never logged.",
      'x-expected': 'the API key Thena issued, printable ASCII without spaces',
      'x-secret': true,
    },
    THENA_API_REQUESTS_PER_SECOND: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 100,
      default: 5,
      description:
        "Calls per second `npm run backfill` makes to Thena's API at most (retries included), so a backfill does not crowd out Thena's own traffic.",
      'x-expected': 'a number above 0 and at most 100, e.g. 5 or 0.5',
    },
    THENA_API_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1000,
      maximum: 600000,
      default: 60000,
      description:
        "How long `npm run backfill` waits for one page of Thena's API (headers and body) before it counts the call as failed and retries it.",
      'x-expected': 'milliseconds from 1000 to 600000, e.g. 60000',
    },
  },
  required: [
    'PORT',
    'HOST',
    'INGRESS_BODY_LIMIT_BYTES',
    'INGRESS_PUBLISH_TIMEOUT_MS',
    'INGRESS_AUTH_TOKENS',
    'KAFKA_BROKERS',
    'LAKE_DIR',
    'LAKE_COMPACT_TARGET_MB',
    'LAKE_COMPACT_GRACE_SECONDS',
    'LOCAL_LAKE_IN_BUCKET',
    'BIGQUERY_DATASET',
    'BIGQUERY_BATCH_MAX_AGE_MS',
    'BIGQUERY_APPEND_MAX_BYTES',
    'LOG_LEVEL',
  ],
} as const;
