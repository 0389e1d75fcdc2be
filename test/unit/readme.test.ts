// docs/configuration.md documents every variable the configuration module reads, and the README's
// configuration section names only variables that exist, with their defaults; the README stays short.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/paths.js';
import { describeVariables } from '../../services/shared/config.js';

describe('README', () => {
  const rowsOf = (text: string) =>
    new Map([...text.matchAll(/^\| `([A-Z_]+)`\s*\|\s*([^|]*?)\s*\|/gm)].map((m) => [m[1]!, m[2]!]));
  const expectDefault = (rows: Map<string, string>, v: ReturnType<typeof describeVariables>[number]) => {
    if (typeof v.default === 'number' || (typeof v.default === 'string' && v.default !== '')) {
      expect(rows.get(v.name), v.name).toBe(`\`${v.default}\``);
    }
  };

  it('documents every configuration variable, with its default, in docs/configuration.md', () => {
    const rows = rowsOf(readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8'));
    for (const v of describeVariables()) {
      expect(rows.has(v.name), v.name).toBe(true);
      expectDefault(rows, v);
    }
  });

  it('names in its configuration section only variables that exist, with their defaults', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
    );
    const rows = rowsOf(section);
    const known = new Map<string, ReturnType<typeof describeVariables>[number]>(
      describeVariables().map((v) => [v.name, v]),
    );
    expect(rows.size).toBeGreaterThan(5);
    for (const name of rows.keys()) {
      expect(known.has(name), name).toBe(true);
      expectDefault(rows, known.get(name)!);
    }
  });

  it('stays at or under 15 kB: details belong in docs/', () => {
    const bytes = readFileSync(join(repoRoot, 'README.md')).length;
    expect(bytes, 'README.md in bytes').toBeLessThanOrEqual(15_000);
  });
});
