// destination-s3 configured the way Mage documents its Amazon S3 destination (aws_* names, file_type,
// object_key_path, table, column_header_format), writing to s3rver; the objects are read back as a user would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceMessage } from '@mage-int/core';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';
import { S3Destination } from '../src/index.js';

let s3: S3StandIn;
let client: S3Client;
const tmp = mkdtempSync(join(tmpdir(), 'mage-dest-s3-mage-'));

beforeAll(async () => {
  s3 = await startS3();
  client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Mage's S3 destination config (its template's keys and names), pointed at s3rver. */
function mageConfig(extra: Record<string, unknown>): never {
  return {
    aws_access_key_id: 'S3RVER',
    aws_secret_access_key: 'S3RVER',
    aws_region: 'us-east-1',
    aws_endpoint: s3.endpoint,
    force_path_style: true,
    bucket: s3.settings.bucket,
    table: null,
    date_partition_format: null,
    ...extra,
  } as never;
}

/** A Salesforce-like stream: mixed-case column names, as Mage users meet them. */
const ACCOUNTS: SourceMessage[] = [
  {
    type: 'SCHEMA',
    stream: 'Account',
    schema: {
      type: 'object',
      properties: { Id: { type: 'string' }, Name: { type: ['string', 'null'] }, AnnualRevenue: { type: ['integer', 'null'] } },
    },
    key_properties: ['Id'],
  },
  { type: 'RECORD', stream: 'Account', record: { Id: '001A', Name: 'Acme', AnnualRevenue: 1200 } },
  { type: 'RECORD', stream: 'Account', record: { Id: '001B', Name: 'Globex', AnnualRevenue: null } },
];

async function write(config: never, messages: SourceMessage[]): Promise<void> {
  for await (const _state of new S3Destination({ config }).write(messages)) {
    // states are released after the objects are stored
  }
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key as string).sort();
}

async function download(key: string): Promise<Buffer> {
  return buffer((await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: key }))).Body as Readable);
}

describe("Mage's column_header_format on S3", () => {
  it('upper: the CSV object has an upper-case header row and the values as they were', async () => {
    await write(mageConfig({ object_key_path: 'upper', file_type: 'csv', column_header_format: 'upper' }), ACCOUNTS);
    const written = await keys('upper/');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^upper\/Account\/[^/]+\.csv$/);
    expect((await download(written[0] as string)).toString()).toBe('ID,NAME,ANNUALREVENUE\n001A,Acme,1200\n001B,Globex,\n');
  });

  it('lower: the Parquet object has lower-case column names with their types, as DuckDB reads it', async () => {
    await write(mageConfig({ object_key_path: 'lower', file_type: 'parquet', column_header_format: 'lower' }), ACCOUNTS);
    const written = await keys('lower/');
    expect(written).toHaveLength(1);
    const file = join(tmp, 'lower.parquet');
    writeFileSync(file, await download(written[0] as string));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const columns = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
      expect(columns.map((c) => [c['column_name'], c['column_type']])).toEqual([
        ['id', 'VARCHAR'],
        ['name', 'VARCHAR'],
        ['annualrevenue', 'BIGINT'],
      ]);
      const rows = (await duck.runAndReadAll(`SELECT * FROM read_parquet('${file}') ORDER BY id`)).getRowObjectsJS();
      expect(rows).toEqual([
        { id: '001A', name: 'Acme', annualrevenue: 1200n },
        { id: '001B', name: 'Globex', annualrevenue: null },
      ]);
    } finally {
      duck.closeSync();
    }
  });

  it('null (as in Mage) writes the names as the stream gives them; a value other than upper/lower is refused', async () => {
    await write(mageConfig({ object_key_path: 'as-given', file_type: 'csv', column_header_format: null }), ACCOUNTS);
    const written = await keys('as-given/');
    expect((await download(written[0] as string)).toString().split('\n')[0]).toBe('Id,Name,AnnualRevenue');
    await expect(write(mageConfig({ object_key_path: 'x', file_type: 'csv', column_header_format: 'title' }), ACCOUNTS)).rejects.toThrow(
      /"column_header_format" must be one of "lower", "upper", null \(got "title"\)/,
    );
  });
});
