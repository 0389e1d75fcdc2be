// The ingress's public surface for other services: how a body is classified and wrapped into its
// Kafka envelope (a redrive sends rejected bodies through the same rule).
export { classify, type Accepted, type Rejected } from './webhook.js';
export { eventEnvelope, eventMessage } from './envelope.js';
