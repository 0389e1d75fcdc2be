// Writes the "Tables and columns" section of docs/lake.md from the catalogue, so the documented
// columns are the declared ones (test/unit/docs.test.ts fails when they drift apart).
// Usage: npm run docs:tables
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TableDefinition } from '../../schemas/table.js';
import { catalogue } from '../../tables/catalogue.js';
import { repoRoot } from '../local/paths.js';

export const lakeDoc = join(repoRoot, 'docs', 'lake.md');
const heading = '## Tables and columns';

const intro = `Declared once, each in its folder under \`tables/\` (\`table.ts\`); the Parquet schema and the BigQuery
schema are both derived from it, and this section is written from it (\`npm run docs:tables\`).
Every table starts with \`workspace\` (read as \`default\` in rows written before it existed; see
[sources.md](sources.md#workspaces)). A REPEATED STRING column is a \`VARCHAR[]\` in DuckDB and an
ARRAY in BigQuery. Columns marked personal are pseudonymised when \`PSEUDONYMIZATION_KEY\` is set
(see [personal-data.md](personal-data.md)).`;

const code = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

function tableSection(t: TableDefinition): string {
  const rows = t.columns.map((c) => {
    const personal = c.personal ? ` (personal: ${c.personal})` : '';
    return `| \`${c.name}\` | ${c.type} | ${c.mode} | ${c.description.replaceAll('|', '\\|')}${personal} |`;
  });
  return [
    `### \`${t.name}\``,
    '',
    `${t.description} Fact key: ${code(t.factKey)}; partitioned on \`${t.partitionColumn}\`; clustered by ${code(t.clustering)}; version ${t.version}.`,
    '',
    '| column | type | mode | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** docs/lake.md with its last section written from the catalogue (unformatted; prettier aligns it). */
export function withTablesSection(doc: string, tables: readonly TableDefinition[] = catalogue): string {
  const at = doc.indexOf(heading);
  if (at < 0) throw new Error(`docs/lake.md has no "${heading}" section`);
  return `${doc.slice(0, at)}${heading}\n\n${intro}\n\n${tables.map(tableSection).join('\n\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(lakeDoc, withTablesSection(readFileSync(lakeDoc, 'utf8')));
  process.stdout.write(`wrote the tables of ${lakeDoc}; run npx prettier --write docs/lake.md\n`);
}
