// Reading a request-event envelope (as the ingress wrote it) into what every flattener needs.
import { envelopeSchema } from '../../ingress/envelope.js';
import { asObject, isoMicros } from './convert.js';

export type Row = Record<string, unknown>;

/** A Kafka message as a flattener sees it. */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  value: string;
}

export interface FlattenOutput {
  rows: Row[];
  /** Things worth counting, e.g. unreadable CSAT entries; become metrics. */
  counts?: Record<string, number>;
}

export type Flattener = (message: SourceMessage) => FlattenOutput;

/** A message a flattener cannot handle: it goes to the dead-letter topic with this reason. */
export class FlattenError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'FlattenError';
  }
}

export interface RequestEvent {
  eventId: string;
  requestId: string;
  action: string;
  receivedAt: bigint;
  /** updatedAt, else createdAt, else receivedAt; microseconds since the epoch. */
  eventTime: bigint;
  request: Record<string, unknown>;
  fieldProblems: unknown[] | undefined;
}

export function readEvent(value: string): RequestEvent {
  let envelope: Record<string, unknown> | null;
  try {
    envelope = asObject(JSON.parse(value));
  } catch (err) {
    throw new FlattenError('invalid_envelope', `the message is not JSON: ${(err as Error).message}`);
  }
  if (!envelope || envelope.schema !== envelopeSchema) {
    throw new FlattenError('invalid_envelope', `the message is not a ${envelopeSchema} envelope`);
  }
  const { eventId, requestId, action } = envelope;
  const receivedAt = isoMicros(envelope.receivedAt);
  const request = asObject(asObject(envelope.payload)?.request);
  if (
    typeof eventId !== 'string' ||
    typeof requestId !== 'string' ||
    typeof action !== 'string' ||
    receivedAt === null ||
    !request
  ) {
    throw new FlattenError(
      'invalid_envelope',
      'the envelope lacks eventId, requestId, action, receivedAt or payload.request',
    );
  }
  return {
    eventId,
    requestId,
    action,
    receivedAt,
    eventTime: isoMicros(request.updatedAt) ?? isoMicros(request.createdAt) ?? receivedAt,
    request,
    fieldProblems: Array.isArray(envelope.fieldProblems) ? envelope.fieldProblems : undefined,
  };
}

/** Adapts a flattener of request events to raw messages. */
export const fromEvents =
  (flatten: (event: RequestEvent) => FlattenOutput): Flattener =>
  (message) =>
    flatten(readEvent(message.value));

/** The columns every event-derived row starts with. */
export const eventKey = (e: RequestEvent): Row => ({
  event_id: e.eventId,
  request_id: e.requestId,
  event_time: e.eventTime,
});
