// Reading the envelope a message's value holds (the ingress's JSON around the body): parsed,
// checked against its schema, its receivedAt read. What cannot be read is a dead-letter result,
// the same for every source's envelope.
import { Ajv } from 'ajv';
import { deadLetter, type FlattenResult } from '../schemas/flattener.js';
import { isoMicros } from './thena/convert.js';

/** A reader of one envelope schema: the envelope and its receivedAt (µs), or a dead-letter result. */
export function envelopeReader<T extends { receivedAt: string }>(
  schema: object,
  schemaId: string,
): (value: string) => { envelope: T; receivedAt: bigint } | FlattenResult {
  const validate = new Ajv({ allErrors: false, strict: false }).compile<T>(schema);
  return (value) => {
    let envelope: unknown;
    try {
      envelope = JSON.parse(value);
    } catch (err) {
      return deadLetter('invalid_envelope', `the message is not JSON: ${(err as Error).message}`);
    }
    if (!validate(envelope)) {
      const e = validate.errors?.[0];
      const where = `${e?.instancePath || '/'} ${e?.message ?? ''}`.trim();
      return deadLetter('invalid_envelope', `the message is not a ${schemaId} envelope: ${where}`);
    }
    const receivedAt = isoMicros(envelope.receivedAt);
    if (receivedAt === null) {
      return deadLetter(
        'invalid_envelope',
        `the envelope's receivedAt is not an ISO 8601 time: ${envelope.receivedAt}`,
      );
    }
    return { envelope, receivedAt };
  };
}
