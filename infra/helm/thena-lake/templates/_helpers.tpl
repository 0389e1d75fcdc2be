{{/* Names and labels. */}}
{{- define "thena-lake.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "thena-lake.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "ingress"). */}}
{{- define "thena-lake.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "thena-lake.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}

{{- define "thena-lake.secretName" -}}
{{- default (printf "%s-secrets" (include "thena-lake.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "thena-lake.serviceAccount" -}}
{{- printf "%s-%s" (include "thena-lake.fullname" .root) .role -}}
{{- end -}}

{{/* The Node image runs as its `node` user (uid 1000), never as root, on a read-only root. */}}
{{- define "thena-lake.podSecurity" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "thena-lake.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* One variable, left out when its value is empty. */}}
{{- define "thena-lake.var" -}}
{{- if not (kindIs "invalid" .value) -}}
{{- if ne (toString .value) "" }}
- name: {{ .name }}
  value: {{ .value | toString | quote }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A variable from the chart's Secret. Optional, so a key left out leaves it unset, except the
ingress's tokens: without them it would accept any webhook.
*/}}
{{- define "thena-lake.secretVar" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "thena-lake.secretName" .root }}
      key: {{ .name }}
      optional: {{ ne .name "INGRESS_AUTH_TOKENS" }}
{{- end }}

{{/*
Every variable each service of the pipeline reads, from the values (README.md maps them). Each
service ignores the ones it does not use.
*/}}
{{- define "thena-lake.env" -}}
{{- $v := .Values -}}
{{- if not $v.kafka.brokers }}{{ fail "kafka.brokers is required: the bootstrap brokers, host:port" }}{{ end -}}
{{- if not $v.bigquery.project }}{{ fail "bigquery.project is required: the Google Cloud project of the dataset" }}{{ end -}}
{{- if and (not $v.secrets.existingSecret) (not $v.secrets.values.INGRESS_AUTH_TOKENS) }}{{ fail "secrets.values.INGRESS_AUTH_TOKENS is required (the token Thena sends, e.g. \"Bearer …\"), or name a Secret holding it in secrets.existingSecret" }}{{ end -}}
{{- if not (hasPrefix "gs://" $v.lake.dir) }}{{ fail "lake.dir must be gs://bucket/prefix: a pod's disk is not a lake" }}{{ end -}}
{{- include "thena-lake.var" (dict "name" "KAFKA_BROKERS" "value" (join "," $v.kafka.brokers)) }}
{{- include "thena-lake.var" (dict "name" "KAFKA_SSL" "value" $v.kafka.ssl) }}
{{- if $v.kafka.caKey }}{{ include "thena-lake.var" (dict "name" "KAFKA_SSL_CA_FILE" "value" (printf "/etc/thena-lake/kafka-tls/%s" $v.kafka.caKey)) }}{{ end }}
{{- if $v.kafka.certKey }}{{ include "thena-lake.var" (dict "name" "KAFKA_SSL_CERT_FILE" "value" (printf "/etc/thena-lake/kafka-tls/%s" $v.kafka.certKey)) }}{{ end }}
{{- if $v.kafka.keyKey }}{{ include "thena-lake.var" (dict "name" "KAFKA_SSL_KEY_FILE" "value" (printf "/etc/thena-lake/kafka-tls/%s" $v.kafka.keyKey)) }}{{ end }}
{{- include "thena-lake.var" (dict "name" "KAFKA_SASL_MECHANISM" "value" $v.kafka.saslMechanism) }}
{{- include "thena-lake.var" (dict "name" "KAFKA_SASL_USERNAME" "value" $v.kafka.saslUsername) }}
{{- include "thena-lake.var" (dict "name" "KAFKA_SESSION_TIMEOUT_MS" "value" $v.kafka.sessionTimeoutMs) }}
{{- include "thena-lake.var" (dict "name" "KAFKA_REQUEST_TIMEOUT_MS" "value" $v.kafka.requestTimeoutMs) }}
{{- include "thena-lake.var" (dict "name" "KAFKA_STALL_EXIT_MS" "value" $v.kafka.stallExitMs) }}
{{- include "thena-lake.var" (dict "name" "LOG_LEVEL" "value" $v.logLevel) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_BODY_LIMIT_BYTES" "value" $v.ingress.bodyLimitBytes) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_PUBLISH_TIMEOUT_MS" "value" $v.ingress.publishTimeoutMs) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_KAFKA_PRODUCERS" "value" $v.ingress.kafkaProducers) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_REQUEST_TIMEOUT_MS" "value" $v.ingress.requestTimeoutMs) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_RATE_LIMIT_PER_MINUTE" "value" $v.ingress.rateLimitPerMinute) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_TRUSTED_PROXIES" "value" (join "," $v.ingress.trustedProxies)) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_SPOOL_MAX_BYTES" "value" $v.ingress.spool.maxBytes) }}
{{- include "thena-lake.var" (dict "name" "INGRESS_DRAIN_ON_EXIT_MS" "value" (mul $v.ingress.drainSeconds 1000)) }}
{{- include "thena-lake.var" (dict "name" "CONSUMER_RETRY_MAX_MS" "value" $v.consumers.retryMaxMs) }}
{{- include "thena-lake.var" (dict "name" "PAYLOAD_DRIFT_ACKNOWLEDGED" "value" (join "," $v.consumers.payloadDriftAcknowledged)) }}
{{- include "thena-lake.var" (dict "name" "LAKE_DIR" "value" $v.lake.dir) }}
{{- include "thena-lake.var" (dict "name" "LAKE_FILE_MAX_ROWS" "value" $v.lake.fileMaxRows) }}
{{- include "thena-lake.var" (dict "name" "LAKE_FILE_MAX_BYTES" "value" $v.lake.fileMaxBytes) }}
{{- include "thena-lake.var" (dict "name" "LAKE_FILE_MAX_AGE_SECONDS" "value" $v.lake.fileMaxAgeSeconds) }}
{{- include "thena-lake.var" (dict "name" "LAKE_RETENTION_DAYS" "value" $v.lake.retentionDays) }}
{{- include "thena-lake.var" (dict "name" "LAKE_COMPACT_TARGET_MB" "value" $v.lake.compactTargetMb) }}
{{- include "thena-lake.var" (dict "name" "LAKE_COMPACT_GRACE_SECONDS" "value" $v.lake.compactGraceSeconds) }}
{{- include "thena-lake.var" (dict "name" "LAKE_GCS_HMAC_KEY_ID" "value" $v.lake.gcsHmacKeyId) }}
{{- include "thena-lake.var" (dict "name" "LAKE_SCRATCH_DIR" "value" "/scratch") }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_PROJECT" "value" $v.bigquery.project) }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_DATASET" "value" $v.bigquery.dataset) }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_LOCATION" "value" $v.bigquery.location) }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_MIGRATE_ON_START" "value" "false") }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_PARTITION_EXPIRATION_DAYS" "value" $v.bigquery.partitionExpirationDays) }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_APPEND_MAX_BYTES" "value" $v.bigquery.appendMaxBytes) }}
{{- include "thena-lake.var" (dict "name" "BIGQUERY_BATCH_MAX_AGE_MS" "value" $v.bigquery.batchMaxAgeMs) }}
{{- include "thena-lake.var" (dict "name" "THENA_API_URL" "value" $v.thenaApi.url) }}
{{- include "thena-lake.var" (dict "name" "THENA_API_REQUESTS_PER_SECOND" "value" $v.thenaApi.requestsPerSecond) }}
{{- include "thena-lake.var" (dict "name" "THENA_API_TIMEOUT_MS" "value" $v.thenaApi.timeoutMs) }}
{{- range $name := list "INGRESS_AUTH_TOKENS" "KAFKA_SASL_PASSWORD" "PSEUDONYMIZATION_KEY" "LAKE_GCS_HMAC_SECRET" "THENA_API_KEY" }}
{{ include "thena-lake.secretVar" (dict "root" $ "name" $name) }}
{{- end }}
{{- end -}}

{{/* Volumes every pod mounts: /tmp and /scratch (the root is read-only) and the Kafka TLS Secret. */}}
{{- define "thena-lake.volumes" -}}
- name: tmp
  emptyDir: {}
- name: scratch
  emptyDir:
    sizeLimit: {{ .Values.consumers.scratchSize }}
{{- if .Values.kafka.tlsSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tlsSecret }}
{{- end }}
{{- end -}}

{{- define "thena-lake.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: scratch
  mountPath: /scratch
{{- if .Values.kafka.tlsSecret }}
- name: kafka-tls
  mountPath: /etc/thena-lake/kafka-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "thena-lake.podAnnotations" -}}
{{- if .root.Values.monitoring.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}
