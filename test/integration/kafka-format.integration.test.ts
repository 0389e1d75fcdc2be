// Formatting a broker's storage with a cluster id that starts with '-': the command line must not
// read it as an option (a fresh broker drew one about one time in 64, failing CI by chance).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatStorage, serverProperties } from '../../infra/kafka/kafka.js';

describe('formatStorage', () => {
  it('formats with a cluster id that starts with "-"', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kafka-format-'));
    const props = join(dataDir, 'server.properties');
    writeFileSync(props, serverProperties({ dataDir, port: 1, controllerPort: 2 }));
    await formatStorage(props, '-3qhW-j7xTNmQb9daqgPaw');
    expect(readFileSync(join(dataDir, 'state', 'meta.properties'), 'utf8')).toMatch(
      /^cluster\.id=-3qhW-j7xTNmQb9daqgPaw$/m,
    );
  });
});
