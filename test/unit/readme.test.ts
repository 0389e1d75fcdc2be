// The README's configuration table documents every variable the configuration module reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/paths.js';
import { describeVariables } from '../../services/shared/config.js';

describe('README', () => {
  it('documents every configuration variable, with its default', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
    );
    const rows = new Map([...section.matchAll(/^\| `([A-Z_]+)`\s*\|\s*([^|]*?)\s*\|/gm)].map((m) => [m[1]!, m[2]!]));
    for (const v of describeVariables()) {
      expect(rows.has(v.name), v.name).toBe(true);
      if (typeof v.default === 'number' || (typeof v.default === 'string' && v.default !== '')) {
        expect(rows.get(v.name), v.name).toBe(`\`${v.default}\``);
      }
    }
  });
});
