// Mage's GCS credential keys: `path_to_credentials_json_file` (a key file's path) and `credentials_info` (the key as
// an object), in a source config written as Mage documents it, against the GCS stand-in.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordData } from '@mage-int/core';
import { GcsStorage } from '@mage-int/files-gcs';
import { startGcs, type GcsStandIn } from '@mage-int/files-gcs/testing';
import { GcsSource } from '../src/index.js';

let gcs: GcsStandIn;
let dir: string;
const key = {
  type: 'service_account',
  project_id: 'mage-project',
  private_key_id: 'k1',
  private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  client_email: 'loader@mage-project.iam.gserviceaccount.com',
  client_id: '1',
  token_uri: 'https://oauth2.googleapis.com/token',
};
beforeAll(async () => {
  gcs = await startGcs();
  dir = mkdtempSync(join(tmpdir(), 'mage-gcs-key-'));
  writeFileSync(join(dir, 'users.csv'), 'id,name\n1,ada\n2,grace\n');
  await new GcsStorage(gcs.settings).putFile('sales/users.csv', join(dir, 'users.csv'));
  writeFileSync(join(dir, 'orders.csv'), 'id,total\n10,5.5\n');
  await new GcsStorage(gcs.settings).putFile('sales/2024/orders.v2.csv', join(dir, 'orders.csv'));
  writeFileSync(join(dir, 'notes.txt'), 'not a table');
  await new GcsStorage(gcs.settings).putFile('sales/readme.json', join(dir, 'notes.txt'));
});
afterAll(async () => {
  await gcs.close();
  rmSync(dir, { recursive: true, force: true });
});

async function readUsers(config: Record<string, unknown>): Promise<RecordData[]> {
  const records: RecordData[] = [];
  const source = new GcsSource({
    config: { ...gcs.settings, prefix: 'sales/', file_type: 'csv', streams: [{ name: 'users', pattern: '*.csv' }], ...config } as never,
  });
  for await (const message of source.read()) if (message.type === 'RECORD_BATCH') records.push(...message.records);
  return records;
}

describe("Mage's GCS credential keys", () => {
  it('path_to_credentials_json_file: the key file is read and used; a missing or broken file is named', async () => {
    const path = join(dir, 'key.json');
    writeFileSync(path, JSON.stringify(key));
    expect((await readUsers({ path_to_credentials_json_file: path })).map((r) => r['name'])).toEqual(['ada', 'grace']);

    await expect(readUsers({ path_to_credentials_json_file: join(dir, 'absent.json') })).rejects.toThrow(
      /cannot read the service account key file .*absent\.json/,
    );
    writeFileSync(join(dir, 'broken.json'), '{"type": "service_account",');
    await expect(readUsers({ path_to_credentials_json_file: join(dir, 'broken.json') })).rejects.toThrow(
      /the file .*broken\.json is not JSON/,
    );
  });

  it('credentials_info: the key as an object (null: the default credentials); two keys at once are refused', async () => {
    expect((await readUsers({ credentials_info: key })).map((r) => r['name'])).toEqual(['ada', 'grace']);
    expect((await readUsers({ credentials_info: null })).map((r) => r['name'])).toEqual(['ada', 'grace']);
    await expect(readUsers({ credentials_info: key, credentials_json: JSON.stringify(key) })).rejects.toThrow(
      /credentials_json and credentials_info both give a service account key/,
    );
  });

  it("Mage's GCS source config as its template writes it (no streams): every csv file under prefix is a stream named by its key", async () => {
    const template = { ...gcs.settings, file_type: 'csv', path_to_credentials_json_file: null, credentials_info: null, prefix: 'sales/' };
    const source = new GcsSource({ config: template as never });
    const catalog = await source.discover();
    expect(catalog.streams.map((s) => s.stream)).toEqual(['sales/2024/orders_v2', 'sales/users']);
    const records: Record<string, RecordData[]> = {};
    for await (const message of source.read(catalog))
      if (message.type === 'RECORD_BATCH') (records[message.stream] ??= []).push(...message.records);
    expect(records['sales/users']?.map((r) => r['name'])).toEqual(['ada', 'grace']);
    expect(records['sales/2024/orders_v2']?.map((r) => r['total'])).toEqual([5.5]);
    await expect(new GcsSource({ config: { ...template, prefix: 'nothing/' } as never }).discover()).rejects.toThrow(
      /no csv files under .* to read as Mage's streams/,
    );
  });
});
