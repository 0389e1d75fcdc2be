// Payload drift: where a body differs from what Thena documents. Three kinds, each at a path:
// `unknown` (a member the description does not name), `type` (a JSON type the description does not
// allow) and `missing` (a member of the declared list of expected fields that is absent). Pure; the
// flatteners of request_events and ticket_events record what it finds in their `payload_drift`
// column, the view payload_drift sums it up, and the consumers count it (docs/drift.md).
//
// Paths: members joined with `.`, an array's items as `[]` after its name (`request.activity[].ts`),
// each array written once whatever its length. A key's own `\`, `.`, `[` and `]` are escaped with a
// `\` (a key `a.b` is the path segment `a\.b`), so a path reads back into its keys without doubt.

/** A JSON type as JSON Schema names it; `integer` is also a `number`. */
type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

export type DriftKind = 'unknown' | 'type' | 'missing';

export interface Drift {
  kind: DriftKind;
  path: string;
  /** The value found (JSON text, cut: see exampleOf); null for `missing`. */
  example: string | null;
}

/** What the description says of a value: the types it may have, its members, its items. */
export interface Shape {
  /** Undefined: any type. */
  types?: ReadonlySet<JsonType>;
  /** The members of an object the description names; undefined: members are not judged. */
  members?: ReadonlyMap<string, Shape>;
  /** Members not named are not `unknown` (a partly documented object): their types are still judged. */
  open?: boolean;
  /** The shape of an array's items; undefined: items are not judged. */
  items?: Shape;
}

/** The part of a JSON Schema the drift check reads. */
export interface SchemaLike {
  type?: string | readonly string[];
  properties?: Readonly<Record<string, SchemaLike>>;
  additionalProperties?: boolean | SchemaLike;
  items?: SchemaLike;
  oneOf?: readonly SchemaLike[];
  anyOf?: readonly SchemaLike[];
}

/**
 * A Shape from a JSON Schema: `type`, `properties`, `items`, and the types of `oneOf`/`anyOf`
 * alternatives (a requestId may be an integer or a string). An object with `properties` is closed
 * (other members are `unknown`) unless it says `additionalProperties: true`; one without is open.
 */
export function shapeOf(schema: SchemaLike): Shape {
  const alternatives = [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  const own = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : [...schema.type];
  const types = [...own, ...alternatives.flatMap((a) => (a.type === undefined ? [] : [a.type].flat()))];
  const shape: { -readonly [K in keyof Shape]: Shape[K] } = {};
  if (types.length > 0 && alternatives.every((a) => a.type !== undefined)) shape.types = new Set(types as JsonType[]);
  if (schema.properties) {
    shape.members = new Map(Object.entries(schema.properties).map(([k, s]) => [k, shapeOf(s)]));
    if (schema.additionalProperties === true) shape.open = true;
  }
  if (schema.items) shape.items = shapeOf(schema.items);
  return shape;
}

/** At most this many findings are kept per event (the first, in the body's order): a body can invent any number of keys. */
export const maxDriftPerEvent = 100;
/** A key longer than this is cut, and ends in `…`: a body can invent any key. */
export const maxKeyChars = 128;
/** A string example longer than this is cut, and ends in `…`. */
export const maxExampleChars = 100;
/** An object or array example whose JSON is longer than this is given as `"<object>"` or `"<array>"`. */
export const maxContainerExampleChars = 200;

const needsEscape = /[\\.[\]]/;
const escapeKey = (key: string): string => {
  if (key.length <= maxKeyChars && !needsEscape.test(key)) return key;
  const cut = key.length > maxKeyChars ? `${key.slice(0, maxKeyChars)}…` : key;
  return cut.replace(/[\\.[\]]/g, (c) => `\\${c}`);
};

/** Where a walk is: the keys down to a value, `arrayStep` for an array's items. */
const arrayStep = Symbol('[]');
type Steps = (string | typeof arrayStep)[];

/** A path as written; built only for a finding, so a body without drift builds none. */
function pathOf(steps: Steps): string {
  let out = '';
  for (const step of steps) {
    if (step === arrayStep) out += '[]';
    else out += out === '' ? escapeKey(step) : `.${escapeKey(step)}`;
  }
  return out;
}

/** A path's segments, `[]` among them: the inverse of how paths are written. */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  let current = '';
  let open = true; // a segment has begun (at the start, after a '.'), even if still empty
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      current += path[++i];
      open = true;
    } else if (c === '.') {
      out.push(current);
      current = '';
      open = true;
    } else if (c === '[' && path[i + 1] === ']') {
      if (open) out.push(current);
      out.push('[]');
      current = '';
      i++;
      open = path[i + 1] === '.';
      if (open) i++;
    } else {
      current += c;
      open = true;
    }
  }
  if (open) out.push(current);
  return out;
}

function jsonType(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

const allowed = (types: ReadonlySet<JsonType>, t: JsonType) => types.has(t) || (t === 'integer' && types.has('number'));

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A value as an example: JSON text, strings cut, large objects and arrays named only. */
export function exampleOf(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > maxExampleChars ? `${v.slice(0, maxExampleChars)}…` : v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  const text = JSON.stringify(v);
  return text.length <= maxContainerExampleChars ? text : JSON.stringify(Array.isArray(v) ? '<array>' : '<object>');
}

/** Findings of one body, each (kind, path) once, the example from its first place in the body. */
class Findings {
  readonly list: Drift[] = [];
  private readonly seen = new Set<string>();
  add(kind: DriftKind, path: string, value: unknown): void {
    const key = `${kind}\u0000${path}`;
    if (this.seen.has(key) || this.list.length >= maxDriftPerEvent) return;
    this.seen.add(key);
    this.list.push({ kind, path, example: kind === 'missing' ? null : exampleOf(value) });
  }
}

/** Judges `value` at `steps` against `shape`; only descends where the description does. */
function walk(value: unknown, shape: Shape, steps: Steps, found: Findings): void {
  if (shape.types && !allowed(shape.types, jsonType(value))) return found.add('type', pathOf(steps), value);
  if (Array.isArray(value) && shape.items) {
    steps.push(arrayStep);
    for (const item of value) walk(item, shape.items, steps, found);
    steps.pop();
  } else if (isObject(value) && shape.members) {
    for (const key of Object.keys(value)) {
      const child = shape.members.get(key);
      if (!child && shape.open) continue;
      steps.push(key);
      if (child) walk(value[key], child, steps, found);
      else found.add('unknown', pathOf(steps), value[key]);
      steps.pop();
    }
  }
}

/**
 * Records the path as missing wherever its parent is an object without it (arrays: in each item).
 * Where the parent itself is absent, null or of another type, nothing is judged: an absent parent is
 * missing only if it is expected itself, and a parent of another type is a `type` finding.
 */
function lookFor(value: unknown, segments: readonly string[], at: number, steps: Steps, found: Findings): void {
  if (at === segments.length) return;
  const head = segments[at]!;
  if (head === '[]') {
    if (!Array.isArray(value)) return;
    steps.push(arrayStep);
    for (const item of value) lookFor(item, segments, at + 1, steps, found);
    steps.pop();
    return;
  }
  if (!isObject(value)) return; // its parent is absent, null or of another type: judged there
  steps.push(head);
  if (head in value) lookFor(value[head], segments, at + 1, steps, found);
  else if (at === segments.length - 1) found.add('missing', pathOf(steps), undefined);
  steps.pop();
}

/** How a body is judged: its description, and the fields expected in every body (paths as above). */
export interface DriftRules {
  shape: Shape;
  expected: readonly string[];
}

/** The expected paths of each rules as segments, read once. */
const segmentsOf = new WeakMap<DriftRules, string[][]>();

/** The drift of one body: unknown members and wrong types in the body's order, then missing fields in the list's. */
export function observeDrift(body: unknown, rules: DriftRules): Drift[] {
  const found = new Findings();
  walk(body, rules.shape, [], found);
  let expected = segmentsOf.get(rules);
  if (!expected) segmentsOf.set(rules, (expected = rules.expected.map(pathSegments)));
  for (const segments of expected) lookFor(body, segments, 0, [], found);
  return found.list;
}

/** A finding as the `payload_drift` column holds it: the JSON array [kind, path, example]. */
export const driftEntry = (d: Drift): string => JSON.stringify([d.kind, d.path, d.example]);

/** The finding a `payload_drift` entry holds, or undefined when it is not one. */
export function readDriftEntry(entry: string): Drift | undefined {
  try {
    const [kind, path, example] = JSON.parse(entry) as unknown[];
    const kinds: readonly unknown[] = ['unknown', 'type', 'missing'];
    if (!kinds.includes(kind) || typeof path !== 'string') return undefined;
    return { kind: kind as DriftKind, path, example: typeof example === 'string' ? example : null };
  } catch {
    return undefined;
  }
}
