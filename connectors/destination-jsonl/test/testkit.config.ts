// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets
// a fresh directory; readTable reads a stream's file back, one row per line, as the fsync'ed lines a
// reader sees (a line still buffered in the destination is not in the file yet).
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseExactJson } from '@mage-int/core';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import { fileNameFor, type JsonlConfig } from '@mage-int/destination-jsonl';

export default defineTestConfig<JsonlConfig>({
  kind: 'destination',
  setup() {
    const dir = mkdtempSync(join(tmpdir(), 'mage-jsonl-conformance-'));
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count flushes mid-input.
    return {
      config: { destination_path: join(dir, 'out'), batch_size_rows: 40 },
      teardown: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  // A JSON Lines file is a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: {
    'conflict-ignore': 'append-only: a file keeps every record, no conflict rule applies',
    'conflict-update-only': 'append-only: a file keeps every record, no conflict rule applies',
    'schema-evolution-add-column': 'append-only: the case re-sends key 1 and expects it replaced',
    'schema-evolution-widen': 'a file keeps each record as sent: there is no column type to widen earlier values to',
    identifiers: 'a file keeps field names as sent: there are no column names to normalise',
    'binary-content-encoding': 'a file keeps encoded strings as sent: base16 text is not re-encoded as bytes',
    'error-base16-malformed': 'a file keeps encoded strings as sent: there is no bytes column to decode hex into',
    'interleaved-streams': 'append-only: the case re-sends keys and expects one row per key',
    'upsert-last-wins': 'append-only: a file keeps every record, later ones do not replace earlier ones',
    'activate-version-hard-delete': 'append-only: ACTIVATE_VERSION removes nothing from a log',
    'activate-version-soft-delete': 'append-only: ACTIVATE_VERSION marks nothing in a log',
    'cdc-delete-hard': 'append-only: a delete is one more line, not a removed row',
    'cdc-delete-soft': 'append-only: a delete is one more line, the row it deletes stays as it was',
    'record-metadata': 'a file keeps each record as sent: no _sdc_* columns are added',
    'nul-characters-reject': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
    'nul-characters-strip': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
  },
  async readTable(config, stream) {
    const compression = config.compression ?? 'none';
    const path = join(config.destination_path, fileNameFor(stream, compression, ''));
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
    const text = (compression === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => parseExactJson(line) as Record<string, unknown>);
  },
});
