// The ingress's public surface for other services: how a body is classified and wrapped into its
// Kafka envelope (a redrive sends rejected bodies through the same rule; the backfill builds request
// and platform events with it).
export { classify, type Accepted, type Rejected } from './webhook.js';
export { eventEnvelope, eventMessage } from './envelope.js';
export { classifyPlatform, type PlatformAccepted } from './platform.js';
export { platformEnvelope } from './platform-envelope.js';
export { canonicalJson } from './jcs.js';
