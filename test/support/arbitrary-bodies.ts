// fast-check arbitraries of webhook bodies as the ingress receives them: request webhooks and
// platform events shaped like Thena's, with awkward text (control characters, NUL, astral
// characters, lone surrogates where JSON escapes carry them), deep unknown fields under non-ASCII
// keys, large arrays, long strings, and bodies the ingress rejects. A long string is a chunk
// repeated to a byte size (see `fill`), so a body stays within the ingress's limit however large it
// is asked to be. Each body is a GeneratedBody, which fast-check prints as a short summary.
// Platform events: arbitrary-platform-events.ts.
import fc from 'fast-check';
import { seed } from '../fixtures/webhooks.js';

type Obj = Record<string, unknown>;

export const MiB = 1024 * 1024;

/** A body and what made it; printed by fast-check as its size and first characters. */
export class GeneratedBody {
  constructor(
    readonly text: string,
    readonly label: string,
  ) {}

  get bytes(): number {
    return Buffer.byteLength(this.text);
  }

  [fc.toStringMethod](): string {
    const head = this.text.length > 300 ? `${this.text.slice(0, 300)}…` : this.text;
    return `${this.label}, ${this.bytes} bytes: ${JSON.stringify(head)}`;
  }
}

/** Characters that trip text handling: controls and NUL, separators, a BOM, astral and combining characters, HTML. */
const awkwardChars = [
  ...['\u0000', '\u0001', '\b', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0085', '\u00a0'],
  ...['\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff', 'é', 'e\u0301', 'ß', '中', '한', 'ع', 'İ'],
  ...['😀', '\u{1f600}\u{1f3fb}', '👩‍👩‍👧', '🏳️‍🌈', '\u{10ffff}', '𝔘'],
  ...['"', '\\', '/', '<', '>', '&', '&amp;', '&#0;', '&#x1F600;', '&#xD800;', '<br>', '<p>', '</p>', ' gave 5 '],
];

/** What JSON.parse makes of "\ud800"-style escapes: the ingress accepts them in platform events only. */
export const loneSurrogates = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** Short awkward text; with `lone`, sometimes holding a lone surrogate. */
export function awkwardText({ maxLength = 24, lone = false } = {}): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom(...awkwardChars, ...(lone ? loneSurrogates : [])),
    fc.string({ unit: 'grapheme-ascii', maxLength: 3 }),
  );
  return fc.oneof(
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.array(piece, { maxLength }).map((pieces) => pieces.join('')),
  );
}

/** Keys a payload may carry that nobody documented: non-ASCII, empty, names of Object.prototype members. */
const unknownKey = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.constantFrom('ключ', '键', 'clé', '🔑', 'a b', '', '$ref', 'requestId', 'toString', 'hasOwnProperty', '\u0000'),
);

const leaf = (lone: boolean) =>
  fc.oneof(
    awkwardText({ lone }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );

/** An unknown value: objects and arrays a few levels deep. */
export const deepValue = (lone = false): fc.Arbitrary<unknown> =>
  fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth: 6 },
      leaf(lone),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(unknownKey, tie('node'), { maxKeys: 3 }),
    ),
  })).node;

/** A value nested `depth` levels down (objects and arrays in turn), within the ingress's 64. */
const chain = (lone: boolean) =>
  fc
    .record({ depth: fc.integer({ min: 1, max: 58 }), key: unknownKey, value: leaf(lone) })
    .map(({ depth, key, value }) => {
      let v: unknown = value;
      for (let i = 0; i < depth; i++) v = i % 3 === 2 ? [v] : { [key]: v };
      return v;
    });

const unknownValue = (lone: boolean) =>
  fc.oneof({ weight: 3, arbitrary: deepValue(lone) }, { weight: 1, arbitrary: chain(lone) });
export const unknownFields = (lone: boolean) => fc.dictionary(unknownKey, unknownValue(lone), { maxKeys: 4 });

/** The documented value mostly; sometimes null, sometimes a value of another type (a recorded field problem). */
export const maybe = <T>(arb: fc.Arbitrary<T>, lone = false) =>
  fc.oneof(
    { weight: 6, arbitrary: arb },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: deepValue(lone) },
  );

const wrappers: ((t: string) => string)[] = [
  (t) => `<p>${t}</p>`,
  (t) => `${t}<br>`,
  (t) => `<b>${t}</b>\n`,
  (t) => `<p>lorem.ipsum gave 4 with additional feedback of ${t}</p>`,
  (t) => `${t} 😀\n`,
];

/**
 * Chunks that, repeated, make the texts the flatteners' HTML and CSAT readers once took time
 * quadratic in (issue 23): runs of `<` or `<p>` never closed, of white space before no newline, of
 * "gave" with no rating after it.
 */
const runChunks = ['<', '<p>', '<P', '<br ', ' ', '\t', ' \u00a0', ' \n', 'x gave ', '&', '&a'];

/** A chunk of a long string: awkward text in HTML, or a piece whose runs are long. */
const longChunk = (lone: boolean) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(awkwardText({ maxLength: 40, lone }), fc.constantFrom(...wrappers))
        .map(([t, wrap]) => wrap(t)),
    },
    { weight: 1, arbitrary: fc.constantFrom(...runChunks) },
  );

/** A long string to place in a body: its chunk and how many bytes the body may reach with it. */
export interface LongText {
  chunk: string;
  bytes: number;
}

export const longText = (minBytes: number, maxBytes: number, lone = false): fc.Arbitrary<LongText> =>
  fc.record({ chunk: longChunk(lone), bytes: fc.integer({ min: minBytes, max: maxBytes }) });

/** Most bodies small; some with a string of 1 KiB–300 KiB; a few of 1–3.9 MiB. */
export const someLongText = (limit: number, lone = false): fc.Arbitrary<LongText | undefined> =>
  fc.oneof(
    { weight: 24, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: longText(1024, 300 * 1024, lone) },
    { weight: 1, arbitrary: longText(MiB, Math.min(limit, Math.floor(3.9 * MiB)), lone) },
  );

/**
 * `build(n)` with the largest n (n repetitions of a piece) whose UTF-8 bytes stay within `bytes`;
 * build(0) when even one does not fit. Each repetition adds the same bytes from the second on.
 */
export function fill(build: (n: number) => string, bytes: number): string {
  const size = (n: number) => Buffer.byteLength(build(n));
  const one = size(1);
  if (one > bytes) return build(0);
  const each = Math.max(1, size(2) - one);
  return build(1 + Math.floor((bytes - one) / each));
}

export const isoTime = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2023-08-23T22:51:21.912345678+02:00', '1600-01-01T00:00:00Z', 'not a time', ''),
  awkwardText(),
);
const slackTs = fc.oneof(
  fc.stringMatching(/^[0-9]{1,12}\.[0-9]{6}$/),
  fc.double().map(String),
  fc.constantFrom('1692826409.902529', '99999999999999.1', '-1'),
);
const person = fc.record(
  { id: maybe(awkwardText()), name: maybe(awkwardText()), email: maybe(awkwardText()), firstName: awkwardText() },
  { requiredKeys: [] },
);
export const html = fc.oneof(
  awkwardText({ maxLength: 60 }),
  awkwardText().map((t) => `<p>${t}</p>`),
);
const csat = fc
  .array(fc.tuple(awkwardText(), fc.integer({ min: 0, max: 999 }), fc.option(awkwardText())), { maxLength: 4 })
  .map((entries) =>
    entries
      .map(
        ([rater, n, comment]) =>
          `<p>${rater} gave ${n}${comment === null ? '' : ` with additional feedback of ${comment}`}</p>`,
      )
      .join(''),
  );

/** Activity: a few items, sometimes repeated into hundreds or thousands (up to 5,000). */
const activity = fc
  .tuple(
    fc.array(
      fc.oneof(
        {
          weight: 9,
          arbitrary: fc.record(
            { id: maybe(awkwardText()), text: maybe(html), ts: maybe(slackTs), user: maybe(person) },
            { requiredKeys: [] },
          ),
        },
        { weight: 1, arbitrary: deepValue() },
      ),
      { maxLength: 4 },
    ),
    fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }) }),
  )
  .map(([items, length]) =>
    length === 0 || items.length === 0 ? items : Array.from({ length }, (_, i) => items[i % items.length]),
  );

/** requestId as Thena may send it: a safe integer, or a string of 1–30 decimal digits. */
export const requestId = fc.oneof(
  fc.maxSafeNat(),
  fc.constantFrom(0, Number.MAX_SAFE_INTEGER, '0', '00042', '9'.repeat(30)),
  fc.stringMatching(/^[0-9]{1,30}$/),
);

/** The request object: the documented fields (each maybe absent, null or of another type), unknown fields beside. */
const request = fc
  .tuple(
    fc.record(
      {
        requestId,
        AI_generatedTags: maybe(fc.array(awkwardText(), { maxLength: 5 })),
        AI_requestSummary: maybe(awkwardText({ maxLength: 80 })),
        AI_requestTitle: maybe(awkwardText()),
        AI_requestSentiment: maybe(awkwardText()),
        activity: maybe(activity),
        assignedTo: maybe(person),
        assignedBy: maybe(person),
        closed_by: maybe(person),
        closed_on: maybe(isoTime),
        createdAt: maybe(isoTime),
        updatedAt: maybe(isoTime),
        customer_name: maybe(awkwardText()),
        description: maybe(html),
        feedbacks: maybe(fc.oneof(csat, html)),
        isInternalHelpdesk: maybe(fc.boolean()),
        replyCount: maybe(fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(2 ** 60))),
        requestTs: maybe(slackTs),
        status: maybe(awkwardText()),
        team_id: maybe(awkwardText()),
        configuredFieldValues: maybe(deepValue()),
      },
      { requiredKeys: ['requestId'] },
    ),
    unknownFields(false),
  )
  .map(([known, unknown]): Obj => ({ ...unknown, ...known }));

type LongPlace =
  'description' | 'feedbacks' | 'AI_requestSummary' | 'action' | 'activity' | 'unknown' | 'AI_generatedTags';
const longPlaces: LongPlace[] = [
  'description',
  'feedbacks',
  'AI_requestSummary',
  'action',
  'activity',
  'unknown',
  'AI_generatedTags',
];

/** The body with a long string at `place`: `n` chunks of it (for a list, `n` elements). */
function withLong(body: { action: string; request: Obj }, place: LongPlace, chunk: string, n: number): Obj {
  const s = chunk.repeat(n);
  const r = { ...body.request };
  if (place === 'action') return { ...body, action: `A${s}` };
  if (place === 'activity')
    r.activity = [{ id: 'A1', text: s, ts: '1692826409.902529' }, ...(Array.isArray(r.activity) ? r.activity : [])];
  else if (place === 'unknown') r['неизвестно'] = { deeper: { still: [{ text: s }] } };
  else if (place === 'AI_generatedTags') r.AI_generatedTags = Array<string>(n).fill(chunk);
  else r[place] = s;
  return { ...body, request: r };
}

type Format = 'compact' | 'indented' | 'bom';
const formatted = (body: unknown, format: Format) =>
  format === 'indented' ? JSON.stringify(body, null, 2) : `${format === 'bom' ? '\ufeff' : ''}${JSON.stringify(body)}`;

/** A request webhook shaped as Thena sends it, within `limit` bytes: the ingress accepts nearly all. */
export const requestBody = (limit: number): fc.Arbitrary<GeneratedBody> =>
  fc
    .record({
      action: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('CREATE', 'UPDATE', 'ESCALATION') },
        { weight: 1, arbitrary: awkwardText({ maxLength: 10 }).map((a) => `x${a}`) },
      ),
      request,
      top: unknownFields(false),
      long: someLongText(limit),
      place: fc.constantFrom(...longPlaces),
      format: fc.constantFrom<Format>('compact', 'compact', 'indented', 'bom'),
    })
    .map(({ action, request: r, top, long, place, format }) => {
      const body = { ...top, action, request: r };
      if (!long) return new GeneratedBody(formatted(body, format), 'request webhook');
      const text = fill((n) => formatted(withLong(body, place, long.chunk, n), format), Math.min(long.bytes, limit));
      return new GeneratedBody(text, `request webhook, long ${place}`);
    });

/** The seed body broken where the ingress looks first, so it is rejected (400) and dead-lettered. */
export const rejectedRequestBody = (limit: number): fc.Arbitrary<GeneratedBody> =>
  fc
    .record({
      broken: fc.constantFrom(
        'no requestId',
        'negative requestId',
        'fractional requestId',
        'unsafe requestId',
        'empty action',
        'request is a list',
        'truncated',
        'not an object',
        'lone surrogate',
        'too deep',
        'forbidden key',
      ),
      long: someLongText(limit),
    })
    .map(({ broken, long }) => {
      const build = (n: number) => brokenBody(broken, long ? long.chunk.repeat(n) : '');
      return new GeneratedBody(long ? fill(build, Math.min(long.bytes, limit)) : build(0), `rejected: ${broken}`);
    });

/** The seed with `filler` in its description, broken as named. */
export function brokenBody(broken: string, filler: string): string {
  const r: Obj = { ...structuredClone(seed.request), description: filler };
  const body: Obj = { action: seed.action, request: r };
  if (broken === 'no requestId') delete r.requestId;
  if (broken === 'negative requestId') r.requestId = -1;
  if (broken === 'fractional requestId') r.requestId = 1.5;
  if (broken === 'unsafe requestId') r.requestId = 2 ** 60;
  if (broken === 'empty action') body.action = '';
  if (broken === 'request is a list') body.request = [r];
  if (broken === 'lone surrogate') r.customer_name = 'Ana \ud800';
  if (broken === 'too deep') r.deep = JSON.parse(`${'['.repeat(70)}1${']'.repeat(70)}`);
  const text = JSON.stringify(broken === 'not an object' ? [body] : body);
  if (broken === 'forbidden key') return `${text.slice(0, -1)},"__proto__":{"polluted":true}}`;
  return broken === 'truncated' ? text.slice(0, -2) : text;
}
