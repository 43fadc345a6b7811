/**
 * Azure Blob Storage for tests (`@mage-int/files-azure/testing`): Azurite — Microsoft's emulator, a development
 * dependency (install it to use this) — started with `--disableTelemetry` on 127.0.0.1 at a free port, its data
 * in a temp folder, with a container and the storage settings to reach it (Azurite's published dev account).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

/** Azurite's well-known development account (public in its documentation). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzureStandIn {
  endpoint: string;
  settings: { account_name: string; account_key: string; endpoint: string; container: string };
  /** A SAS token for the container (`sv=…&sig=…`, an hour long) with these permissions (`racwdl` letters). */
  sasToken(permissions?: string): string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startAzurite(container = 'test-container'): Promise<AzureStandIn> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  const location = mkdtempSync(join(tmpdir(), 'mage-azurite-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      bin,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      location,
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (/successfully listens|listening/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}): ${output}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  await new BlobServiceClient(endpoint, new StorageSharedKeyCredential(ACCOUNT, KEY)).getContainerClient(container).createIfNotExists();
  return {
    endpoint,
    settings: { account_name: ACCOUNT, account_key: KEY, endpoint, container },
    sasToken: (permissions = 'racwdl') =>
      generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse(permissions),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: new Date(Date.now() + 3_600_000),
        },
        new StorageSharedKeyCredential(ACCOUNT, KEY),
      ).toString(),
    async close() {
      child.removeAllListeners('exit');
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(location, { recursive: true, force: true });
    },
  };
}
