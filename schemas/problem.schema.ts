// A problem found in a body: where (a JSON pointer) and what. The ingress answers 400s with a list
// of them, records wrong-typed fields with them, and dead-letter records carry them.
export const problemSchema = {
  type: 'object',
  required: ['path', 'message'],
  additionalProperties: false,
  properties: { path: { type: 'string' }, message: { type: 'string' } },
} as const;
