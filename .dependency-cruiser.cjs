// Import rules, checked by `npm run lint` (dependency-cruiser):
// - no import cycle anywhere;
// - a folder of services/ imports nothing of a sibling service folder but its index.ts (its public
//   surface); services/shared is for everyone;
// - the contracts (schemas/) and the tables (tables/) import no service, launcher or test code.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle ties its modules into one: break it by moving what both need down a level.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-sibling-service-internals',
      severity: 'error',
      comment:
        "A service folder uses a sibling only through the sibling's index.ts; shared code belongs in services/shared or schemas/.",
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: ['^services/($1|shared)/', '^services/[^/]+/index\\.ts$'] },
    },
    {
      name: 'contracts-stand-alone',
      severity: 'error',
      comment: 'schemas/ holds the contracts every part reads: it imports none of those parts.',
      from: { path: '^schemas/' },
      to: { path: '^(services|tables|infra|test|bench)/' },
    },
    {
      name: 'tables-are-pure',
      severity: 'error',
      comment: 'A table is a declaration, a pure flattener and its views: no service, launcher or I/O code.',
      from: { path: '^tables/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(services|infra|test|bench)/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { path: '^(services|tables|schemas|infra)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.local|data)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
