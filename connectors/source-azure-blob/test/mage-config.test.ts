// Mage's Azure Blob Storage source config as its template writes it (connection_string, container_name, prefix, no
// streams): every file under the prefix is a stream of its own, named as Mage names it. Against Azurite.
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordData } from '@mage-int/core';
import { startAzurite, type AzureStandIn } from '@mage-int/files-azure/testing';
import { AzureBlobSource } from '../src/index.js';

let azure: AzureStandIn;
beforeAll(async () => {
  azure = await startAzurite();
  const { account_name, account_key, endpoint, container } = azure.settings;
  const blobs = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account_name, account_key)).getContainerClient(container);
  const put = (name: string, body: string) => blobs.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
  await put('exports/users.csv', 'id,name\n1,ada\n2,grace\n');
  await put('exports/2024/orders.csv', 'id,total\n10,5.5\n');
  await put('elsewhere/other.csv', 'id\n99\n');
});
afterAll(() => azure?.close());

describe("Mage's Azure Blob Storage source config", () => {
  it('reads every file under prefix as a stream named by its key without the extension', async () => {
    const { account_name, account_key, endpoint, container } = azure.settings;
    const config = {
      connection_string: `DefaultEndpointsProtocol=http;AccountName=${account_name};AccountKey=${account_key};BlobEndpoint=${endpoint};`,
      container_name: container,
      prefix: 'exports/',
    };
    const source = new AzureBlobSource({ config: config as never });
    const catalog = await source.discover();
    expect(catalog.streams.map((s) => s.stream)).toEqual(['exports/2024/orders', 'exports/users']);
    const records: Record<string, RecordData[]> = {};
    for await (const message of source.read(catalog))
      if (message.type === 'RECORD_BATCH') (records[message.stream] ??= []).push(...message.records);
    expect(records['exports/users']?.map((r) => r['name'])).toEqual(['ada', 'grace']);
    expect(records['exports/2024/orders']?.map((r) => r['total'])).toEqual([5.5]);
  });
});
