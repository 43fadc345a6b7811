// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets
// its own GCS stand-in on 127.0.0.1; readTable reads the stream's complete JSON Lines objects, in the order
// they were stored, as any reader of the bucket would see them.
import { Storage } from '@google-cloud/storage';
import { parseExactJson } from '@mage-int/core';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { GcsDestinationConfig } from '@mage-int/destination-gcs';
import { startGcs } from '@mage-int/files-gcs/testing';

export default defineTestConfig<GcsDestinationConfig>({
  kind: 'destination',
  async setup() {
    const gcs = await startGcs();
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count commits mid-input.
    return { config: { ...gcs.settings, prefix: 'out', format: 'jsonl', batch_size_rows: 40 }, teardown: () => gcs.close() };
  },
  // Blobs are a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: {
    'conflict-ignore': 'append-only: objects keep every record, no conflict rule applies',
    'conflict-update-only': 'append-only: objects keep every record, no conflict rule applies',
    'schema-evolution-add-column': 'append-only: the case re-sends key 1 and expects it replaced',
    'schema-evolution-widen': 'an object keeps each record as sent: there is no column type to widen earlier values to',
    identifiers: 'objects keep field names as sent: there are no column names to normalise',
    'binary-content-encoding': 'JSON Lines keep encoded strings as sent: base16 text is not re-encoded as bytes',
    'error-base16-malformed': 'JSON Lines keep encoded strings as sent: there is no bytes column to decode hex into',
    'interleaved-streams': 'append-only: the case re-sends keys and expects one row per key',
    'upsert-last-wins': 'append-only: objects keep every record, later ones do not replace earlier ones',
    'activate-version-hard-delete': 'append-only: ACTIVATE_VERSION removes nothing from objects',
    'activate-version-soft-delete': 'append-only: ACTIVATE_VERSION marks nothing in objects',
    'cdc-delete-hard': 'append-only: a delete is one more record, not a removed row',
    'cdc-delete-soft': 'append-only: a delete is one more record, the row it deletes stays as it was',
    'record-metadata': 'objects keep each record as sent: no _sdc_* columns are added',
    'nul-characters-reject': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
    'nul-characters-strip': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
  },
  async readTable(config, stream) {
    const bucket = new Storage({ apiEndpoint: config.endpoint as string, projectId: 'test-project' }).bucket(config.bucket);
    const folder = `out/${stream.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_')}/`;
    const [files] = await bucket.getFiles({ prefix: folder });
    if (files.length === 0) return undefined;
    files.sort((a, b) => Number(a.metadata.generation) - Number(b.metadata.generation));
    const rows: Record<string, unknown>[] = [];
    for (const file of files) {
      const [body] = await file.download();
      for (const line of body.toString('utf8').split('\n')) if (line !== '') rows.push(parseExactJson(line) as Record<string, unknown>);
    }
    return rows;
  },
});
