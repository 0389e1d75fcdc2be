// Which commit failures the runtime tries again (a coordinator lost with its broker) and which end
// the service: kafkajs's own marks, through the wrapper its retrier puts around the last failure.
import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { isPassingKafkaError, isRebalanceError } from './offsets.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSNonRetriableError } =
  kafkajs;

const refused = () => new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:29496', { code: 'ECONNREFUSED' });
const ranOut = (cause: Error) => new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 4800 });
const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as never);

describe('commit failures', () => {
  it('may pass: a lost connection, a coordinator that moved, each after kafkajs gave up on it', () => {
    expect(isPassingKafkaError(refused())).toBe(true);
    expect(isPassingKafkaError(ranOut(refused()))).toBe(true);
    expect(isPassingKafkaError(ranOut(protocol('NOT_COORDINATOR_FOR_GROUP', true)))).toBe(true);
    expect(isPassingKafkaError(ranOut(protocol('GROUP_COORDINATOR_NOT_AVAILABLE', true)))).toBe(true);
  });

  it('will not pass: an error kafkajs marks final, or one that is not Kafka’s', () => {
    expect(isPassingKafkaError(new KafkaJSNonRetriableError('Offset must not be a negative number'))).toBe(false);
    expect(isPassingKafkaError(ranOut(new Error('a bug')))).toBe(false);
    expect(isPassingKafkaError(protocol('OFFSET_METADATA_TOO_LARGE', false))).toBe(false);
    expect(isPassingKafkaError(new Error('plain'))).toBe(false);
  });

  it('tells a rebalance apart, wrapped or not', () => {
    expect(isRebalanceError(ranOut(protocol('REBALANCE_IN_PROGRESS', true)))).toBe(true);
    expect(isRebalanceError(protocol('UNKNOWN_MEMBER_ID', false))).toBe(true);
    expect(isRebalanceError(ranOut(refused()))).toBe(false);
  });
});
