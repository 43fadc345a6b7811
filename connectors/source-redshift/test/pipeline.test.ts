// Redshift into Redshift through the pipeline runner, both on one stand-in (PostgreSQL behind the wire-protocol
// proxy, s3rver for the load files): source-redshift reads sales.orders through the cursor, destination-redshift loads
// it through S3 and COPY into another schema. Every value arrives exact (BIGINT max, NUMERIC(38,2) with 35 integer
// digits, µs timestamps, SUPER with a 20-digit number, VARBYTE, the empty string apart from NULL); a second FULL_TABLE
// run after a delete at the source soft-deletes that row (ACTIVATE_VERSION).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, pipeline, silentLogger } from '@mage-int/core';
import destination from '@mage-int/destination-redshift';
import redshiftSource from '../src/index.js';
import { seededStandIn, TEST_ROLE, type Seeded } from './seed.js';

let seeded: Seeded;
beforeAll(async () => {
  seeded = await seededStandIn();
});
afterAll(() => seeded.close());

describe('Redshift → Redshift (on the stand-in)', () => {
  it('copies every type exactly, then soft-deletes the row gone from the source', async () => {
    const { standIn } = seeded;
    const stateStore = new MemoryStateStore();
    const run = () =>
      pipeline({
        id: 'rs_to_rs',
        source: { connector: redshiftSource, config: seeded.config },
        destination: {
          connector: destination,
          config: {
            host: standIn.host,
            port: standIn.port,
            database: standIn.database,
            username: standIn.user,
            ssl_mode: 'disable',
            schema: 'copy',
            s3_bucket: 'redshift-unloads',
            s3_region: seeded.s3.settings.region,
            s3_endpoint: seeded.s3.endpoint,
            s3_force_path_style: true,
            aws_access_key_id: seeded.s3.settings.access_key_id,
            aws_secret_access_key: seeded.s3.settings.secret_access_key,
            iam_role: TEST_ROLE,
          },
        },
        streams: { 'sales-orders': { replication_method: 'FULL_TABLE' } },
        select: ['sales-orders'],
        stateStore,
      }).run({ logger: silentLogger });
    const first = await run();
    expect(first.streams['orders']?.records).toBe(4);
    const columns = `id::text, big::text, amount::text, ratio::text, note, ok, day::text, updated_at::text, local_at::text, attrs::text, encode(blob, 'hex') AS blob`;
    const source = await standIn.query(`SELECT ${columns} FROM sales.orders ORDER BY id`);
    const copied = await standIn.query(`SELECT ${columns} FROM copy.orders ORDER BY id`);
    expect(copied).toEqual(source);
    expect(copied[0]).toMatchObject({
      big: '9223372036854775807',
      amount: '12345678901234567890123456789012345.67',
      updated_at: '2024-01-01 00:00:00.000001+00',
    });
    await standIn.query('DELETE FROM sales.orders WHERE id = 3');
    await run();
    const deleted = await standIn.query('SELECT id::text FROM copy.orders WHERE _sdc_deleted_at IS NOT NULL');
    expect(deleted).toEqual([{ id: '3' }]);
  });
});
