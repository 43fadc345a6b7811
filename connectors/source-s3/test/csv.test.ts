import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordData, SourceMessage } from '@mage-int/core';
import { S3Destination } from '@mage-int/destination-s3';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';
import { S3Source, type S3SourceConfig } from '../src/index.js';

let s3: S3StandIn;
let client: S3Client;
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
  client.destroy();
  await s3.close();
});

async function readStream(
  prefix: string,
  stream: { name: string; pattern: string },
): Promise<{ messages: SourceMessage[]; records: RecordData[] }> {
  const messages: SourceMessage[] = [];
  for await (const message of new S3Source({ config: { ...s3.settings, prefix, streams: [stream] } }).read()) messages.push(message);
  return { messages, records: messages.flatMap((m) => (m.type === 'RECORD_BATCH' ? m.records : [])) };
}

const data = (records: RecordData[]) => records.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sdc_'))));

describe('CSV edge cases through S3', () => {
  it('keeps quotes, quoted newlines and delimiters, a BOM, and empty strings apart from NULL, both ways', async () => {
    const csv = '\uFEFFid,name,comment\r\n1,"Doe, ""JJ""","line one\r\nline two"\r\n2,,""\r\n3,"",\r\n';
    await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: 'in/people/2024.csv', Body: csv }));
    const { messages, records } = await readStream('in', { name: 'people', pattern: 'people/*.csv' });
    const expected = [
      { id: 1, name: 'Doe, "JJ"', comment: 'line one\r\nline two' },
      { id: 2, name: null, comment: '' },
      { id: 3, name: '', comment: null },
    ];
    expect(data(records)).toEqual(expected);

    // Written back as CSV by destination-s3, the same distinctions hold in the bytes…
    const states = [];
    for await (const state of new S3Destination({ config: { ...s3.settings, prefix: 'out', format: 'csv' } }).write(messages))
      states.push(state);
    expect(states.length).toBeGreaterThan(0);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: 'out/people/' }));
    const key = listed.Contents?.[0]?.Key as string;
    expect(key).toMatch(/\.csv$/);
    const written = await text((await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: key }))).Body as Readable);
    const [header, ...lines] = written.split('\n');
    expect(header).toBe('id,name,comment,_sdc_source_file,_sdc_source_lineno,_sdc_source_last_modified');
    expect(lines[0]).toMatch(/^1,"Doe, ""JJ""","line one\r$/);
    expect(lines[2]).toMatch(/^2,,"",people\/2024\.csv,5,/);
    expect(lines[3]).toMatch(/^3,"",,people\/2024\.csv,6,/);
    // …and reading them again gives the same records.
    const again = await readStream('out', { name: 'people', pattern: 'people/*.csv' });
    expect(data(again.records).map(({ id, name, comment }) => ({ id, name, comment }))).toEqual(expected);
  });

  it('check names the bucket that does not exist; a read fails with the hint', async () => {
    const config: S3SourceConfig = { ...s3.settings, bucket: 'missing-bucket', streams: [{ name: 'x', pattern: '*.csv' }] };
    const check = await new S3Source({ config }).check();
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/bucket "missing-bucket" failed: NoSuchBucket/);
    await expect(new S3Source({ config }).discover()).rejects.toMatchObject({ hint: expect.stringMatching(/does not exist/) });
  });
});
