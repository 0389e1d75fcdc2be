// docs/lake.md documents the tables as the catalogue declares them: a column added, renamed or
// described anew in a table.ts and not in the docs fails here, with the command that fixes it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as prettier from 'prettier';
import { lakeDoc, withTablesSection } from '../../infra/docs/tables.js';

describe('docs/lake.md', () => {
  it('lists every table and column of the catalogue as declared (npm run docs:tables rewrites it)', async () => {
    const doc = readFileSync(lakeDoc, 'utf8');
    const options = { ...(await prettier.resolveConfig(lakeDoc)), filepath: lakeDoc };
    const expected = await prettier.format(withTablesSection(doc), options);
    expect(doc === expected, 'docs/lake.md is out of date: run npm run docs:tables').toBe(true);
  });
});
