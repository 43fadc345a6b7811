import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  defineDestination,
  externalDestination,
  externalSource,
  forEachRecord,
  loadPipelineFile,
  MemoryStateStore,
  pipeline,
  pipelineFromConfig,
  silentLogger,
  stderrLevel,
  type RecordData,
  type SourceMessage,
} from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function collect(rows: RecordData[]) {
  return defineDestination<Record<string, never>>({
    kind: 'destination',
    name: 'collect',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    async *write(_c, messages) {
      for await (const m of messages as AsyncIterable<SourceMessage>) {
        if (m.type === 'RECORD' || m.type === 'RECORD_BATCH') forEachRecord(m, (record) => rows.push(record));
        if (m.type === 'STATE') yield m;
      }
    },
  });
}

describe('external Singer executables', () => {
  it('runs a foreign tap as a subprocess, exact numbers and state included, and resumes from its state', async () => {
    const rows: RecordData[] = [];
    const store = new MemoryStateStore();
    const tap = externalSource({ command: fixture('tap-numbers.mjs') });
    const run = () =>
      pipeline({
        id: 'ext',
        source: { connector: tap, config: { count: 12 } },
        destination: { connector: collect(rows), config: {} },
        stateStore: store,
      }).run({ logger: silentLogger });
    await run();
    expect(rows.map((r) => r['n'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(rows[0]!['big']).toBe(90071992547409931n);
    expect((await store.load('ext'))?.bookmarks['numbers']).toEqual({ n: 10 });
    rows.length = 0;
    await run();
    expect(rows.map((r) => r['n'])).toEqual([11, 12]);
  });

  it('fails with the tap exit code and its last stderr lines', async () => {
    const tap = externalSource({ command: fixture('tap-numbers.mjs') });
    await expect(
      pipeline({ source: { connector: tap, config: { count: 3, fail: true } }, destination: { connector: collect([]), config: {} } }).run({
        logger: silentLogger,
      }),
    ).rejects.toThrow(/exited with code 3:[\s\S]*upstream API said no/);
  });

  it('reports a tap that is not installed', async () => {
    const tap = externalSource({ command: 'tap-that-does-not-exist' });
    await expect(
      pipeline({ source: { connector: tap, config: {} }, destination: { connector: collect([]), config: {} } }).run({
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({ code: 'EXTERNAL_START_FAILED', hint: expect.stringContaining('PATH') });
  });

  it('pipes a tap into a foreign target: tap-foo | target-bar through mage-int', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ext-'));
    const out = join(dir, 'rows.jsonl');
    const store = new MemoryStateStore();
    const summary = await pipeline({
      id: 'pipe',
      source: { connector: externalSource({ command: fixture('tap-numbers.mjs') }), config: { count: 7 } },
      destination: { connector: externalDestination({ command: fixture('target-collect.mjs') }), config: { out } },
      stateStore: store,
    }).run({ logger: silentLogger });
    expect(summary.streams['numbers']?.records).toBe(7);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe('{"n":7,"big":90071992547409937}');
    expect((await store.load('pipe'))?.bookmarks['numbers']).toEqual({ n: 5 });
  });

  it('reports the exit status and message of a target that dies early, not the broken pipe', async () => {
    await expect(
      pipeline({
        source: { connector: externalSource({ command: fixture('tap-numbers.mjs') }), config: { count: 200000 } },
        destination: { connector: externalDestination({ command: fixture('target-dies.mjs') }), config: {} },
      }).run({ logger: silentLogger }),
    ).rejects.toThrow(/target-dies.mjs exited with code 2:\s+target-dies: cannot connect to the warehouse/);
  });
});

describe('secrets of external executables', () => {
  let dir: string;
  const savedTmp = process.env['TMPDIR'];
  // A private TMPDIR (os.tmpdir() follows it) so "nothing left behind" is checked without other runs' files.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ext-secrets-'));
    process.env['TMPDIR'] = join(dir, 'tmp');
  });
  beforeEach(async () => {
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'tmp')));
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
    await rm(dir, { recursive: true, force: true });
  });
  const leftovers = async () => (await readdir(join(dir, 'tmp'))).filter((name) => name.startsWith('mage-int'));
  // A failed run rejects as soon as one end fails; the other end's folder goes when its process has stopped, moments later.
  const noLeftovers = () => expect.poll(leftovers, { timeout: 5_000, interval: 50 }).toEqual([]);

  async function run(behaviour: string, env: Record<string, string>) {
    const file = join(dir, 'p.yaml');
    await writeFile(
      file,
      `source:\n  command: ${fixture('tap-echo-token.mjs')}\n  config: { token: "\${EXT_TOKEN}", account: "\${EXT_ACCOUNT}", api_key: k9, behaviour: ${behaviour} }\n` +
        `destination:\n  command: ${fixture('target-collect.mjs')}\n  config: { out: "${join(dir, 'out.jsonl')}" }\n`,
    );
    const lines: string[] = [];
    const built = await pipelineFromConfig(await loadPipelineFile(file, env));
    // No secrets given to the logger: the external connector must redact what its process prints by itself.
    const result = await built.run({ logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    return { lines, error: result };
  }

  it("never prints a tap's ${VAR} values or credentials, even when it echoes them; its ERROR and CRITICAL lines are errors", async () => {
    const { lines, error } = await run('fail', { EXT_TOKEN: 'tok-2f9a', EXT_ACCOUNT: 'acct-77' });
    const all = lines.join('\n') + '\n' + error?.message;
    expect(error?.message).toMatch(/exited with code 3:[\s\S]*ERROR upstream rejected token \*\*\*/);
    for (const secret of ['tok-2f9a', 'acct-77', 'k9']) expect(all).not.toContain(secret);
    expect(lines).toContainEqual(expect.stringMatching(/^INFO .*connecting with token \*\*\* as \*\*\* \(api_key \*\*\*\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ERROR .*ERROR upstream rejected token \*\*\*$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ERROR .*CRITICAL giving up$/));
  });

  it('writes the config 0600 in a 0700 folder and removes it after success and every failure', async () => {
    const ok = await run('ok', { EXT_TOKEN: 't', EXT_ACCOUNT: 'a' });
    expect(ok.error).toBeUndefined();
    expect(ok.lines).toContainEqual(expect.stringContaining('config.json mode 600, folder mode 700'));
    await noLeftovers();
    const failed = await run('fail', { EXT_TOKEN: 't', EXT_ACCOUNT: 'a' });
    expect(failed.error?.message).toContain('exited with code 3');
    await noLeftovers();
    const missing = externalSource({ command: join(dir, 'no-such-tap') });
    await expect(
      pipeline({ source: { connector: missing, config: { password: 'x' } }, destination: { connector: collect([]), config: {} } }).run({
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({
      code: 'EXTERNAL_START_FAILED',
    });
    await noLeftovers();
    await expect(
      pipeline({
        source: { connector: externalSource({ command: fixture('tap-numbers.mjs') }), config: { count: 50000 } },
        destination: { connector: externalDestination({ command: fixture('target-dies.mjs') }), config: {} },
      }).run({ logger: silentLogger }),
    ).rejects.toThrow(/exited with code 2/);
    await noLeftovers();
    const controller = new AbortController();
    const aborted = pipeline({
      source: { connector: externalSource({ command: fixture('tap-echo-token.mjs') }), config: { behaviour: 'hang' } },
      destination: { connector: collect([]), config: {} },
    }).run({
      logger: silentLogger,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('stop')), 500);
    await expect(aborted).rejects.toThrow();
    await noLeftovers();
  });

  it('removes the folder and stops the tap when a program using the API is killed by SIGTERM', async () => {
    // A plain Node program without signal handlers of its own, using the built package as users do.
    const script = join(dir, 'program.mjs');
    const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    await writeFile(
      script,
      `import { externalSource, pipeline, defineDestination } from ${JSON.stringify(core)};\n` +
        `const sink = defineDestination({ kind: 'destination', name: 'sink', spec: { type: 'object' }, check: async () => ({ ok: true }), async *write(_c, m) { for await (const x of m) console.log(x.type); } });\n` +
        `await pipeline({ source: { connector: externalSource({ command: ${JSON.stringify(fixture('tap-echo-token.mjs'))} }), config: { behaviour: 'hang', token: 's' } }, destination: { connector: sink, config: {} } }).run();\n`,
    );
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, TMPDIR: join(dir, 'tmp') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('RECORD') && resolve()));
    const tapPid = Number(/folder \S*mage-int-ext-(\d+)-/.exec(stderr)?.[1]);
    expect(tapPid).toBe(child.pid);
    expect(await leftovers()).toHaveLength(1);
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('close', (c, s) => resolve([c, s])),
    );
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await leftovers()).toEqual([]);
  });

  it('reads the level of a relayed stderr line the way Singer taps write it', () => {
    expect(stderrLevel('ERROR something broke')).toBe('error');
    expect(stderrLevel('CRITICAL giving up')).toBe('error');
    expect(stderrLevel('error: bad token')).toBe('error');
    expect(stderrLevel('2024-05-01 10:00:00,123 | ERROR    | tap-github | 401')).toBe('error');
    expect(stderrLevel('time=2024-05-01T10:00:00Z level=error msg="401"')).toBe('error');
    expect(stderrLevel('requests.exceptions.HTTPError: 401 Client Error')).toBe('error');
    expect(stderrLevel('WARNING slow API')).toBe('warn');
    expect(stderrLevel('INFO Starting sync')).toBe('info');
    expect(stderrLevel('DEBUG request sent')).toBe('debug');
    expect(stderrLevel('synced 10 error-free rows')).toBe('info');
  });
});
