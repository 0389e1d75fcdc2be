-- Payload drift per UTC day of event_time: how many distinct events had each finding that day, for
-- telling the fields whose problems rise (npm run report). Columns as payload_drift_findings.
SELECT workspace, source, path, kind, CAST(event_time AS DATE) AS day, COUNT(DISTINCT event_id) AS events
FROM {{payload_drift_findings}}
GROUP BY workspace, source, path, kind, CAST(event_time AS DATE)
