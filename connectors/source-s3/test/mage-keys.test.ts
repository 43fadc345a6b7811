// Mage's S3 source keys in a config written the way Mage documents it (aws_* names, file_type, role_arn), against
// s3rver with an STS AssumeRole stand-in in front of it.
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type RecordData, type SourceMessage } from '@mage-int/core';
import { S3Destination } from '@mage-int/destination-s3';
import { startAssumeRole, startS3, type AssumeRoleStandIn, type S3StandIn } from '@mage-int/files-s3/testing';
import { S3Source } from '../src/index.js';

let s3: S3StandIn;
let sts: AssumeRoleStandIn;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3();
  sts = await startAssumeRole(s3);
  client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: key, Body: body }));
  await put('users/ds/users_1.csv', 'id,name\n1,ada\n2,grace\n');
  await put('users/ds/users_2.csv', 'id,name\n3,edsger\n');
  await put('users/ds/notes.txt', 'not a table');
  await put('orders/2024/orders.csv', 'id,total\n10,5.5\n');
});
afterAll(async () => {
  client?.destroy();
  await sts?.close();
  await s3?.close();
});

async function read(config: Record<string, unknown>): Promise<Record<string, RecordData[]>> {
  const out: Record<string, RecordData[]> = {};
  for await (const message of new S3Source({ config: config as never }).read())
    if (message.type === 'RECORD_BATCH') (out[message.stream] ??= []).push(...message.records);
  return out;
}
const names = (records: RecordData[] | undefined) => (records ?? []).map((r) => r['name']).sort();

describe("Mage's S3 source keys", () => {
  it('role_arn: the keys given assume the role through STS at the endpoint, and its temporary credentials sign every S3 request', async () => {
    const records = await read({
      bucket: s3.settings.bucket,
      aws_region: 'us-east-1',
      aws_endpoint: sts.endpoint,
      force_path_style: true,
      aws_access_key_id: 'AKIABASEUSER',
      aws_secret_access_key: 'base-user-secret',
      role_arn: 'arn:aws:iam::123456789012:role/mage-reader',
      role_session_name: 'mage-data-integration',
      file_type: 'csv',
      prefix: 'users/ds/',
      streams: [{ name: 'users', pattern: '*.csv' }],
    });
    expect(names(records['users'])).toEqual(['ada', 'edsger', 'grace']);
    // Once per storage client (discovery's and the read's), each signed with the keys given.
    expect(sts.assumed.length).toBeGreaterThan(0);
    for (const call of sts.assumed)
      expect(call).toEqual({
        roleArn: 'arn:aws:iam::123456789012:role/mage-reader',
        sessionName: 'mage-data-integration',
        signedBy: 'AKIABASEUSER',
      });
    expect(sts.s3Requests.length).toBeGreaterThan(0);
    for (const request of sts.s3Requests) expect(request).toEqual({ signedBy: 'S3RVER', sessionToken: 'assumed-session-token' });
  });

  it('search_pattern: one stream of the keys under prefix matching the regular expression, named as Mage names it', async () => {
    const records = await read({
      ...s3.settings,
      file_type: 'csv',
      prefix: 'users/ds/users_',
      search_pattern: '(?P<part>\\d+)\\.csv$',
    });
    expect(Object.keys(records)).toEqual(['users_ds']);
    expect(names(records['users_ds'])).toEqual(['ada', 'edsger', 'grace']);
  });

  it('single_stream_in_prefix: every key under prefix is one stream, named as Mage names it', async () => {
    const records = await read({ ...s3.settings, file_type: 'csv', prefix: 'users/ds/users_', single_stream_in_prefix: true });
    expect(Object.keys(records)).toEqual(['users_ds']);
    expect(names(records['users_ds'])).toEqual(['ada', 'edsger', 'grace']);
  });

  it("Mage's config template as written: null for unset settings, column_header_format (which Mage's source does not read)", async () => {
    const template = {
      aws_access_key_id: 'S3RVER',
      aws_region: 'us-east-1',
      aws_secret_access_key: 'S3RVER',
      column_header_format: null,
      bucket: s3.settings.bucket,
      file_type: 'csv',
      prefix: 'users/ds/users_',
      search_pattern: null,
      single_stream_in_prefix: true,
      aws_endpoint: s3.endpoint,
      force_path_style: true,
    };
    const records = await read(template);
    expect(Object.keys(records)).toEqual(['users_ds']);
    // The files' own column names: Mage's S3 source does not apply column_header_format, nor does this one.
    expect(Object.keys(records['users_ds']?.[0] ?? {}).filter((k) => !k.startsWith('_sdc_'))).toEqual(['id', 'name']);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    for await (const _message of new S3Source({ config: { ...template, column_header_format: 'upper' } as never, logger }).read());
    expect(lines.join('\n')).toMatch(/column_header_format \(in Mage's S3 source config template\) has no effect/);
  });

  it('table_configs: a stream per prefix and pattern, named by table_name; streams given as well are refused', async () => {
    const config = {
      ...s3.settings,
      file_type: 'infer',
      prefix: 'ignored/',
      table_configs: [
        { prefix: 'users/', search_pattern: 'users_1\\.csv', table_name: 'first_users' },
        { prefix: 'orders/2024', search_pattern: '\\.csv$', table_name: 'orders' },
      ],
    };
    const records = await read(config);
    expect(names(records['first_users'])).toEqual(['ada', 'grace']);
    expect(records['orders']?.map((r) => r['id'])).toEqual([10]);
    await expect(read({ ...config, streams: [{ name: 'x', pattern: '*.csv' }] })).rejects.toThrow(
      /"streams" and Mage's table_configs both name the streams/,
    );
  });

  it("destination date_partition_format: each file goes into a folder named by its write time (UTC) below the stream's", async () => {
    const messages: SourceMessage[] = [
      { type: 'SCHEMA', stream: 'events', schema: { type: 'object', properties: { id: { type: 'integer' } } }, key_properties: [] },
      { type: 'RECORD', stream: 'events', record: { id: 1 } },
    ];
    const day = () => new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const before = day();
    for await (const _state of new S3Destination({
      config: { ...s3.settings, object_key_path: 'exports', file_type: 'csv', date_partition_format: '%Y%m%d' } as never,
    }).write(messages)) {
      // states after commit
    }
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: 'exports/events/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key as string);
    expect(keys).toHaveLength(1);
    expect([before, day()].some((d) => keys[0]?.startsWith(`exports/events/${d}/`))).toBe(true);
  });

  it("destination table: the one stream's files go into the folder it names; a second stream is refused", async () => {
    const schema = (stream: string): SourceMessage => ({
      type: 'SCHEMA',
      stream,
      schema: { type: 'object', properties: { id: { type: 'integer' } } },
      key_properties: [],
    });
    const config = { ...s3.settings, object_key_path: 'tabled', file_type: 'csv', table: 'users_export' } as never;
    for await (const _state of new S3Destination({ config }).write([
      schema('public-users'),
      { type: 'RECORD', stream: 'public-users', record: { id: 1 } },
    ]));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: 'tabled/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key as string);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^tabled\/users_export\/[^/]+\.csv$/);
    const two = async () => {
      for await (const _state of new S3Destination({ config }).write([schema('a'), schema('b')]));
    };
    await expect(two()).rejects.toThrow(/"table" \(users_export\) names the folder of one stream; "b" is a second/);
  });
});
