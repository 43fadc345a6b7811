// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup writes two
// streams of files into a fresh directory, dated in the past so min_file_age_seconds never holds them back.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { FilesSourceConfig } from '@mage-int/source-files';

function put(root: string, key: string, content: string | Buffer, minutesAgo: number): void {
  const path = join(root, key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  const at = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(path, at, at);
}

export default defineTestConfig<FilesSourceConfig>({
  kind: 'source',
  setup() {
    const root = mkdtempSync(join(tmpdir(), 'mage-source-files-conformance-'));
    for (let f = 0; f < 3; f++) {
      const rows = Array.from(
        { length: 40 },
        (_, i) => `${f * 40 + i + 1},customer ${f * 40 + i + 1},${(i * 1.25).toFixed(2)},2024-01-0${f + 1}T10:00:00Z`,
      );
      put(root, `orders/dt=2024-01-0${f + 1}/part-${f}.csv.gz`, gzipSync(`id,name,amount,created_at\n${rows.join('\n')}\n`), 30 - f);
    }
    put(root, 'events/a.jsonl', '{"id":1,"kind":"click","meta":{"x":1}}\n{"id":2,"kind":"view","meta":null}\n', 20);
    return {
      config: {
        root,
        streams: [
          { name: 'orders', pattern: 'orders/**/*.csv.gz', key_properties: ['id'] },
          { name: 'events', pattern: 'events/*.jsonl', key_properties: ['id'] },
        ],
      },
      teardown: () => rmSync(root, { recursive: true, force: true }),
    };
  },
});
