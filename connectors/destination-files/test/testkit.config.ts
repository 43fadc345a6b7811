// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets a
// fresh directory; readTable reads every complete JSON Lines file of a stream's folder (in the order they were
// stored), as a reader of the directory sees them: hidden staging files are not read.
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExactJson } from '@mage-int/core';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { FilesDestinationConfig } from '@mage-int/destination-files';

export default defineTestConfig<FilesDestinationConfig>({
  kind: 'destination',
  setup() {
    const dir = mkdtempSync(join(tmpdir(), 'mage-destination-files-conformance-'));
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count commits mid-input.
    return { config: { root: join(dir, 'out'), format: 'jsonl', batch_size_rows: 40 }, teardown: () => rmSync(dir, { recursive: true, force: true }) };
  },
  // Files are a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: {
    'conflict-ignore': 'append-only: files keep every record, no conflict rule applies',
    'conflict-update-only': 'append-only: files keep every record, no conflict rule applies',
    'schema-evolution-add-column': 'append-only: the case re-sends key 1 and expects it replaced',
    'schema-evolution-widen': 'a file keeps each record as sent: there is no column type to widen earlier values to',
    identifiers: 'files keep field names as sent: there are no column names to normalise',
    'binary-content-encoding': 'JSON Lines keep encoded strings as sent: base16 text is not re-encoded as bytes',
    'error-base16-malformed': 'JSON Lines keep encoded strings as sent: there is no bytes column to decode hex into',
    'interleaved-streams': 'append-only: the case re-sends keys and expects one row per key',
    'upsert-last-wins': 'append-only: files keep every record, later ones do not replace earlier ones',
    'activate-version-hard-delete': 'append-only: ACTIVATE_VERSION removes nothing from files',
    'activate-version-soft-delete': 'append-only: ACTIVATE_VERSION marks nothing in files',
    'cdc-delete-hard': 'append-only: a delete is one more record, not a removed row',
    'cdc-delete-soft': 'append-only: a delete is one more record, the row it deletes stays as it was',
    'record-metadata': 'files keep each record as sent: no _sdc_* columns are added',
    'nul-characters-reject': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
    'nul-characters-strip': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
  },
  async readTable(config, stream) {
    const folder = join(config.root, stream.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_'));
    let names: string[];
    try {
      names = (await readdir(folder)).filter((name) => !name.startsWith('.'));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
    const files = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(folder, name))).mtimeMs })));
    files.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
    const rows: Record<string, unknown>[] = [];
    for (const file of files) {
      const text = await readFile(join(folder, file.name), 'utf8');
      for (const line of text.split('\n')) if (line !== '') rows.push(parseExactJson(line) as Record<string, unknown>);
    }
    return rows;
  },
});
