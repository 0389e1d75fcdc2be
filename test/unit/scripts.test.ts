// The npm scripts start the project's code with `node --import tsx`, never through the tsx command.
// tsx's command relays a signal to the program it runs and, when the program has not acknowledged it
// within 30 ms, kills it with SIGKILL. On a busy machine a Ctrl-C to `npm start` then killed the
// launcher before it could stop anything: the services' last lines lost, Kafka and the emulator
// left running (found by npm-start.faults.test.ts, 2026-12-02).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/paths.js';

const scripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

describe('npm scripts', () => {
  it('run TypeScript entry points under node, not the tsx command', () => {
    const throughTsx = Object.entries(scripts).filter(([, command]) => /(^|&&\s*|;\s*)tsx\s/.test(command));
    expect(throughTsx).toEqual([]);
    expect(scripts.start).toBe('node --import tsx infra/local/stack.ts');
  });
});
