// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup starts the GCS
// stand-in (the JSON API paths the SDK uses) on 127.0.0.1 at a random port and uploads two streams of objects.
import { gzipSync } from 'node:zlib';
import { Storage } from '@google-cloud/storage';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { GcsSourceConfig } from '@mage-int/source-gcs';
import { startGcs } from '@mage-int/files-gcs/testing';

export default defineTestConfig<GcsSourceConfig>({
  kind: 'source',
  async setup() {
    const gcs = await startGcs();
    const bucket = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'test-project' }).bucket(gcs.settings.bucket);
    const put = (name: string, body: string | Buffer) => bucket.file(name).save(body, { resumable: false });
    for (let f = 0; f < 3; f++) {
      const rows = Array.from({ length: 40 }, (_, i) => `${f * 40 + i + 1},customer ${f * 40 + i + 1},${(i * 1.25).toFixed(2)}`);
      await put(`data/orders/dt=2024-01-0${f + 1}/part-${f}.csv.gz`, gzipSync(`id,name,amount\n${rows.join('\n')}\n`));
    }
    await put('data/events/a.jsonl', '{"id":1,"kind":"click"}\n{"id":2,"kind":"view"}\n');
    return {
      config: {
        ...gcs.settings,
        prefix: 'data/',
        streams: [
          { name: 'orders', pattern: 'orders/**/*.csv.gz', key_properties: ['id'] },
          { name: 'events', pattern: 'events/*.jsonl', key_properties: ['id'] },
        ],
      },
      teardown: () => gcs.close(),
    };
  },
});
