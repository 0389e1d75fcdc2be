// The settings of the connection to Kafka and of how a consumer service rides out what fails,
// spread into configSchema (config.schema.ts) in this order.
export const kafkaSettings = {
  KAFKA_BROKERS: {
    type: 'array',
    minItems: 1,
    items: { type: 'string', pattern: '^[^\\s:,]+:[0-9]{1,5}$' },
    default: ['127.0.0.1:9092'],
    description: 'Comma-separated Kafka bootstrap brokers.',
    'x-expected': 'host:port[,host:port], e.g. 127.0.0.1:9092',
  },
  KAFKA_SSL: {
    type: 'boolean',
    default: false,
    description:
      "Connect to Kafka over TLS, checking the brokers' certificates (against KAFKA_SSL_CA_FILE, or the public CAs Node trusts when unset). Managed services (Google's, Confluent Cloud) need it.",
    'x-expected': 'true or false',
  },
  KAFKA_SSL_CA_FILE: {
    type: 'string',
    minLength: 1,
    description:
      "A PEM file of the CA certificates that signed the brokers' certificates, for a cluster with a private CA. Unset: the public CAs Node trusts. Needs KAFKA_SSL=true.",
    'x-expected': 'the path of a PEM file, e.g. /etc/kafka/ca.pem',
  },
  KAFKA_SSL_CERT_FILE: {
    type: 'string',
    minLength: 1,
    description:
      "The client's certificate (PEM) for a cluster that authenticates clients by TLS certificate (mTLS); with KAFKA_SSL_KEY_FILE and KAFKA_SSL=true.",
    'x-expected': 'the path of a PEM file, e.g. /etc/kafka/client.pem',
  },
  KAFKA_SSL_KEY_FILE: {
    type: 'string',
    minLength: 1,
    description: "The private key (PEM, unencrypted) of KAFKA_SSL_CERT_FILE's certificate.",
    'x-expected': 'the path of a PEM file, e.g. /etc/kafka/client-key.pem',
  },
  KAFKA_SASL_MECHANISM: {
    type: 'string',
    enum: ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'],
    description:
      "How clients authenticate to Kafka. plain and the SCRAM ones take KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD; oauthbearer takes its tokens from Google's Application Default Credentials (Google Cloud's Managed Service for Apache Kafka). plain and oauthbearer send their secret as it is, so they need KAFKA_SSL=true. Unset: no authentication.",
    'x-expected': 'one of plain, scram-sha-256, scram-sha-512, oauthbearer',
  },
  KAFKA_SASL_USERNAME: {
    type: 'string',
    minLength: 1,
    description: 'The user of KAFKA_SASL_MECHANISM plain or scram-sha-*.',
    'x-expected': 'a user name, e.g. thena-lake',
  },
  KAFKA_SASL_PASSWORD: {
    type: 'string',
    minLength: 1,
    description: "KAFKA_SASL_USERNAME's password. Secret: never logged.",
    'x-expected': 'the password given with the user name',
    'x-secret': true,
  },
  KAFKA_SESSION_TIMEOUT_MS: {
    type: 'integer',
    // The broker's group.min.session.timeout.ms (6 s by default) must allow a value below 6000.
    minimum: 1000,
    maximum: 300000,
    default: 30000,
    description:
      'How long the group waits for a silent consumer before giving its partitions to another member. Below 6000 the broker must allow it (group.min.session.timeout.ms).',
    'x-expected': 'milliseconds from 1000 to 300000, e.g. 30000',
  },
  KAFKA_REQUEST_TIMEOUT_MS: {
    type: 'integer',
    minimum: 1000,
    maximum: 300000,
    default: 30000,
    description:
      'How long a Kafka client waits for the answer to one request before it counts the request as failed (and retries it): a broker that hangs rather than refuses is noticed after this long.',
    'x-expected': 'milliseconds from 1000 to 300000, e.g. 30000',
  },
  KAFKA_STALL_EXIT_MS: {
    type: 'integer',
    minimum: 10000,
    maximum: 3600000,
    // Above kafkajs's rebalance timeout (60 s), the longest a healthy rebalance lasts.
    default: 120000,
    description:
      "How long a consumer service's sink may go without consuming (not yet in its group, rebalancing, or no answer from Kafka; a rebuild's pause does not count) before the service exits 1, so that its supervisor starts a fresh process, which resumes from the last commit. The cure for a Kafka client that does not recover by itself after the broker hung.",
    'x-expected': 'milliseconds from 10000 to 3600000, e.g. 120000',
  },
  CONSUMER_RETRY_MAX_MS: {
    type: 'integer',
    minimum: 1000,
    maximum: 600000,
    default: 30000,
    description:
      "The longest wait between two tries of a consumer service's failed write to a sink, or of its connection to Kafka or BigQuery at start: the waits double from half a second up to it, each a random part of its bound. A sink back from an outage is written to again within this long.",
    'x-expected': 'milliseconds from 1000 to 600000, e.g. 30000',
  },
} as const;
