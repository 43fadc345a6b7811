// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets a
// fresh directory; readTable reads every complete JSON Lines file of a stream's folder (in the order they were
// stored), as a reader of the directory sees them: hidden staging files are not read.
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPEND_ONLY_FILE_SKIPS, jsonLinesRecords, streamPrefix } from '@mage-int/files/testing';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { FilesDestinationConfig } from '@mage-int/destination-files';

export default defineTestConfig<FilesDestinationConfig>({
  kind: 'destination',
  setup() {
    const dir = mkdtempSync(join(tmpdir(), 'mage-destination-files-conformance-'));
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count commits mid-input.
    return {
      config: { root: join(dir, 'out'), format: 'jsonl', batch_size_rows: 40 },
      teardown: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  // Files are a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: APPEND_ONLY_FILE_SKIPS,
  async readTable(config, stream) {
    const folder = join(config.root, streamPrefix('', stream));
    let names: string[];
    try {
      names = (await readdir(folder)).filter((name) => !name.startsWith('.'));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
    const files = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(folder, name))).mtimeMs })));
    files.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
    return jsonLinesRecords(await Promise.all(files.map((file) => readFile(join(folder, file.name), 'utf8'))));
  },
});
