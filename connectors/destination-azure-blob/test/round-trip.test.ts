import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPartitionedParquetRoundTrip } from '@mage-int/files/testing';
import { startAzurite, type AzureStandIn } from '@mage-int/files-azure/testing';
import { AzureBlobSource } from '@mage-int/source-azure-blob';
import { AzureBlobDestination } from '../src/index.js';

let azure: AzureStandIn;
beforeAll(async () => {
  azure = await startAzurite();
});
afterAll(() => azure.close());

describe('destination-azure-blob → source-azure-blob', () => {
  it('writes Hive-partitioned Parquet objects that read back exactly, and releases the STATE after them', async () => {
    await checkPartitionedParquetRoundTrip(
      (messages) =>
        new AzureBlobDestination({
          config: { ...azure.settings, prefix: 'lake', format: 'parquet', partition_by: 'created_at:day' },
        }).write(messages),
      () =>
        new AzureBlobSource({
          config: { ...azure.settings, prefix: 'lake', streams: [{ name: 'payments', pattern: 'payments/**/*.parquet' }] },
        }).read(),
    );
  });

  it('check fails naming a container that does not exist', async () => {
    const check = await new AzureBlobDestination({ config: { ...azure.settings, container: 'nope' } }).check();
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/container "nope" failed: ContainerNotFound/);
  });
});
