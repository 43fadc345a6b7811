import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'mage-dest-s3-kill-'));
const ROWS = 60_000;
let s3: S3StandIn;
let client: S3Client;

/** A proxy to s3rver that reports the first UploadPart request and holds it, so a kill lands mid-upload. */
function partWatchingProxy(target: string, onPart: () => void): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '')) {
      onPart();
      return; // never forwarded: the upload cannot complete
    }
    const forward = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    });
    req.pipe(forward);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key as string);
}

function run(
  config: object,
  input: string,
): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>; kill: () => void } {
  const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(process.execPath, [bin, '--config', configPath], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  createReadStream(input)
    .pipe(child.stdin)
    .on('error', () => {});
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

describe('destination-s3 killed during a multipart upload', () => {
  let input: string;
  beforeAll(async () => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    s3 = await startS3();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    // About 20 MB of JSON Lines: more than two 8 MiB parts.
    const pad = 'x'.repeat(300);
    const lines = [
      JSON.stringify({
        type: 'SCHEMA',
        stream: 'events',
        schema: { properties: { id: { type: 'integer' }, pad: { type: 'string' } } },
        key_properties: ['id'],
      }),
    ];
    for (let i = 1; i <= ROWS; i++) lines.push(`{"type":"RECORD","stream":"events","record":{"id":${i},"pad":"${pad}"}}`);
    lines.push('{"type":"STATE","value":{"bookmarks":{"events":{"id":60000}}}}');
    input = join(dir, 'input.jsonl');
    writeFileSync(input, lines.join('\n') + '\n');
  }, 180_000);
  afterAll(async () => {
    client.destroy();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no object under the final name and releases no STATE; the rerun stores the whole file', async () => {
    let kill = () => {};
    const proxy = await partWatchingProxy(s3.endpoint, () => kill());
    const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const first = run({ ...s3.settings, endpoint, prefix: 'out', format: 'jsonl' }, input);
    kill = first.kill;
    const killed = await first.done;
    proxy.closeAllConnections();
    proxy.close();
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    expect(await keys('out/')).toEqual([]);

    // The next run gets the same records again (no STATE was saved) and completes the object.
    const second = await run({ ...s3.settings, prefix: 'out', format: 'jsonl' }, input).done;
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('{"bookmarks":{"events":{"id":60000}}}\n');
    const stored = await keys('out/');
    expect(stored).toHaveLength(1);
    const body = await text((await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: stored[0] }))).Body as Readable);
    const lines = body.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ id: ROWS });
  });
});
