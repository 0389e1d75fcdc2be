// Pure logic of the ingress: from a raw body to an accepted event (with its id, key and any
// recorded field problems) or a rejection (with reasons). No I/O; see webhook.test.ts.
import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { keyingPaths, webhookSchema } from '../../schemas/thena-webhook.schema.js';
import { canonicalJson } from './jcs.js';

export interface Problem {
  path: string;
  message: string;
}

export type RejectReason =
  'invalid_json' | 'not_an_object' | 'forbidden_key' | 'too_deep' | 'invalid_unicode' | 'missing_or_invalid_keys';

export interface Accepted {
  kind: 'accepted';
  /** First 32 hex characters of SHA-256 over the RFC 8785 (JCS) form of the body. */
  eventId: string;
  action: string;
  /** Canonical decimal string; the Kafka key. */
  requestId: string;
  /** The body as received (less a byte-order mark), embedded as-is in the envelope. */
  raw: string;
  /** Documented fields of the wrong type: kept as sent, recorded here. */
  fieldProblems: Problem[];
  /** The body's `request`, as parsed: the envelope's summary header picks from it. */
  request: Record<string, unknown>;
}

export interface Rejected {
  kind: 'rejected';
  reason: RejectReason;
  details: Problem[];
  raw: string;
}

/** Nesting deeper than this is refused: no Thena payload comes close, and it bounds recursion. */
export const maxDepth = 64;
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats.default(ajv, ['date-time']);
const validate = ajv.compile(webhookSchema);

/** A missing property is reported at its own path, so `required` and type errors line up. */
function toProblem(e: ErrorObject): Problem {
  const path = e.keyword === 'required' ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath;
  return { path, message: e.message ?? e.keyword };
}

/** Walks the parsed body without recursion, so neither depth nor size can overflow the stack. */
function scan(value: unknown): 'too_deep' | 'forbidden_key' | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return 'too_deep';
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
    } else {
      for (const key of Object.keys(node)) {
        if (forbiddenKeys.has(key)) return 'forbidden_key';
        stack.push([(node as Record<string, unknown>)[key], depth + 1]);
      }
    }
  }
  return undefined;
}

// One message per keying field, whichever way it failed (absent, wrong type, bad pattern).
const keyingMessages: Record<string, string> = {
  '/action': 'required: a non-empty string such as CREATE or UPDATE',
  '/request': 'required: an object holding the request',
  '/request/requestId': 'required: a non-negative integer or a string of decimal digits',
};

/** A number requestId past 2^53 - 1 parses rounded (12345678901234567891 -> ...900), 1e21 prints as "1e+21". */
function keyingMessage(path: string, body: object): string {
  const id = (body as { request?: { requestId?: unknown } }).request?.requestId;
  if (path === '/request/requestId' && typeof id === 'number' && Number.isInteger(id) && id > 0) {
    return `a number past 2^53 - 1 (${Number.MAX_SAFE_INTEGER}) loses digits when read; send requestId as a string of decimal digits`;
  }
  return keyingMessages[path]!;
}

const scanMessages = {
  too_deep: `nesting deeper than ${maxDepth} levels`,
  forbidden_key: 'keys named __proto__, constructor or prototype are not accepted',
} as const;

/**
 * The first checks of every webhook body: JSON, an object, within the depth bound, no forbidden
 * keys. A byte-order mark is dropped. Never throws.
 */
export function parseBody(body: string): { raw: string; parsed: Record<string, unknown> } | Rejected {
  const raw = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  const reject = (reason: RejectReason, message: string): Rejected => ({
    ...{ kind: 'rejected', reason, raw },
    details: [{ path: '/', message }],
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return reject('invalid_json', `not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return reject('not_an_object', 'the body must be a JSON object');
  }
  const scanned = scan(parsed);
  if (scanned) return reject(scanned, scanMessages[scanned]);
  return { raw, parsed: parsed as Record<string, unknown> };
}

/** Classifies a raw request body. Never throws. */
export function classify(body: string): Accepted | Rejected {
  const read = parseBody(body);
  if ('kind' in read) return read;
  const { raw, parsed } = read;
  const reject = (reason: RejectReason, details: Problem[]): Rejected => ({ kind: 'rejected', reason, details, raw });

  const valid = validate(parsed);
  const problems = (valid ? [] : (validate.errors ?? [])).map(toProblem);
  const fatalPaths = new Set(problems.map((p) => p.path).filter((path) => keyingPaths.has(path)));
  if (fatalPaths.size > 0) {
    const details = [...fatalPaths].map((path) => ({ path, message: keyingMessage(path, parsed) }));
    return reject('missing_or_invalid_keys', details);
  }

  let canonical: string;
  try {
    canonical = canonicalJson(parsed);
  } catch (err) {
    return reject('invalid_unicode', [
      { path: '/', message: `cannot be canonicalised (RFC 8785): ${(err as Error).message}` },
    ]);
  }
  const body_ = parsed as { action: string; request: { requestId: string | number } & Record<string, unknown> };
  return {
    kind: 'accepted',
    eventId: createHash('sha256').update(canonical).digest('hex').slice(0, 32),
    action: body_.action,
    requestId: canonicalRequestId(body_.request.requestId),
    raw,
    fieldProblems: dedupe(problems),
    request: body_.request,
  };
}

/** "0042" and 42 both name request 42. */
export function canonicalRequestId(id: string | number): string {
  return typeof id === 'number' ? String(id) : BigInt(id).toString();
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
