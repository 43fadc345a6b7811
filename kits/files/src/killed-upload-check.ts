/**
 * The SIGKILL-during-upload check every file destination runs (S3, Azure Blob, GCS, local files): the destination's
 * Singer executable is killed while an object's bytes are on their way, then run again on the same input.
 */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Rows of the check's input: ~20 MB of JSON Lines, more than two 8 MiB parts, blocks or resumable chunks. */
export const KILLED_UPLOAD_ROWS = 60_000;

/** How a destination run ended and what it printed on stdout (its released STATEs). */
export interface TargetRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs a Singer target executable on `input` (a file piped to stdin) with `config`; `kill` SIGKILLs it. */
export function runSingerTarget(
  bin: string,
  configPath: string,
  input: string,
  env: Record<string, string> = {},
): { done: Promise<TargetRun>; kill: () => void } {
  const child = spawn(process.execPath, [bin, '--config', configPath], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, ...env },
  });
  createReadStream(input)
    .pipe(child.stdin)
    .on('error', () => {});
  child.stdin.on('error', () => {}); // EPIPE once killed
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = new Promise<TargetRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })));
  return { done, kill: () => child.kill('SIGKILL') };
}

/** A request that carries part of an object's bytes: S3 UploadPart, Azure Put Block, a GCS resumable chunk. */
export type UploadPartMatcher = (req: IncomingMessage) => boolean;

export const S3_UPLOAD_PART: UploadPartMatcher = (req) => req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '');
export const AZURE_PUT_BLOCK: UploadPartMatcher = (req) => req.method === 'PUT' && /[?&]comp=block(&|$)/.test(req.url ?? '');
export const GCS_RESUMABLE_CHUNK: UploadPartMatcher = (req) => req.method === 'PUT' && /[?&]upload_id=/.test(req.url ?? '');

/**
 * An HTTP proxy to `upstream` (`http://127.0.0.1:port`) that forwards everything but the first request `holds`
 * matches: that one is reported (`onHold`) and never answered, so the upload it belongs to cannot complete. A
 * `location` header naming the upstream (a GCS resumable session URI) is rewritten to the proxy, so later requests
 * of the upload come through it too.
 */
export async function holdingProxy(
  upstream: string,
  holds: UploadPartMatcher,
  onHold: () => void,
): Promise<{ endpoint: string; stop: () => void }> {
  let endpoint = '';
  const server = createServer((req, res) => {
    if (holds(req)) {
      onHold();
      return;
    }
    const forward = request(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const headers = { ...answer.headers };
      if (typeof headers.location === 'string' && headers.location.startsWith(upstream))
        headers.location = endpoint + headers.location.slice(upstream.length);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Calls `onSeen` once a hidden staging file (`.name.partial-<pid>`) appears anywhere under `root`. */
export function watchForStagingFile(root: string, onSeen: () => void): { stop: () => void } {
  let stopped = false;
  const look = async (): Promise<void> => {
    while (!stopped) {
      const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
      if (entries.some((entry) => /(^|\/)\.[^/]*\.partial-\d+$/.test(entry))) {
        onSeen();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  void look();
  return { stop: () => (stopped = true) };
}

/** Where the check stores its files and how it looks at them. */
export interface KilledUploadTarget {
  /** The destination's Singer executable (`dist/bin.js`). */
  bin: string;
  /** The destination config writing JSON Lines under `out/`; `endpoint` replaces the store's endpoint when given. */
  config(endpoint?: string): Record<string, unknown>;
  /**
   * Starts watching for the upload and calls `kill` while it is under way; returns the endpoint the killed run uses
   * (a holding proxy) or undefined (the store's own), and a `stop` for afterwards.
   */
  killDuringUpload(kill: () => void): Promise<{ endpoint?: string; stop: () => void }>;
  /** The keys (names) complete objects have under `out/`. */
  keys(): Promise<string[]>;
  /** An object's content. */
  read(key: string): Promise<string>;
  env?: Record<string, string>;
}

/**
 * The destination, killed (SIGKILL) while it uploads a ~20 MB file, leaves no object under `out/` and printed no
 * STATE; run again on the same input (the records a pipeline would resend, no STATE having been saved), it stores one
 * object holding every record and prints the STATE. Throws an AssertionError otherwise.
 */
export async function checkKilledUpload(target: KilledUploadTarget): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mage-killed-upload-'));
  try {
    const pad = 'x'.repeat(300);
    const lines = [
      JSON.stringify({
        type: 'SCHEMA',
        stream: 'events',
        schema: { properties: { id: { type: 'integer' }, pad: { type: 'string' } } },
        key_properties: ['id'],
      }),
    ];
    for (let i = 1; i <= KILLED_UPLOAD_ROWS; i++) lines.push(`{"type":"RECORD","stream":"events","record":{"id":${i},"pad":"${pad}"}}`);
    const state = { bookmarks: { events: { id: KILLED_UPLOAD_ROWS } } };
    lines.push(JSON.stringify({ type: 'STATE', value: state }));
    const input = join(dir, 'input.jsonl');
    await writeFile(input, lines.join('\n') + '\n');
    const configFile = async (config: Record<string, unknown>): Promise<string> => {
      const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(path, JSON.stringify(config));
      return path;
    };

    let kill = () => {};
    const watch = await target.killDuringUpload(() => kill());
    const first = runSingerTarget(target.bin, await configFile(target.config(watch.endpoint)), input, target.env);
    kill = first.kill;
    const killed = await first.done;
    watch.stop();
    strictEqual(killed.signal, 'SIGKILL', 'the run was killed during the upload (it ended by itself instead)');
    strictEqual(killed.stdout, '', 'no STATE is released before its file is stored');
    deepStrictEqual(await target.keys(), [], 'nothing is visible under a final name after the kill');

    const second = await runSingerTarget(target.bin, await configFile(target.config()), input, target.env).done;
    strictEqual(second.code, 0, 'the rerun succeeds');
    strictEqual(second.stdout, `${JSON.stringify(state)}\n`);
    const stored = await target.keys();
    strictEqual(stored.length, 1, `one object after the rerun: ${stored.join(', ')}`);
    const body = (await target.read(stored[0] as string)).trimEnd().split('\n');
    strictEqual(body.length, KILLED_UPLOAD_ROWS);
    deepStrictEqual(JSON.parse(body.at(-1) as string), { id: KILLED_UPLOAD_ROWS, pad });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
