import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, collect, runCli, startCli, workDir, WORKSPACE } from './cli-harness.js';

const TAP = join(WORKSPACE, 'core', 'test', 'fixtures', 'tap-echo-token.mjs');
const TARGET = join(WORKSPACE, 'core', 'test', 'fixtures', 'target-collect.mjs');

/** `command:` connectors run by the real CLI: what they print, and the config folder they leave (never). */
describe('mage-int with an external command: tap', () => {
  const work = workDir('external');
  // The CLI's own TMPDIR, so "nothing left in /tmp" is checked without other processes' files.
  const tmp = join(work.dir, 'tmp');
  const env = { TMPDIR: tmp, EXT_TOKEN: 'tok-51d3e', EXT_ACCOUNT: 'acct-0042' };
  const leftovers = () => readdirSync(tmp).filter((name) => name.startsWith('mage-int'));
  const pipeline = (behaviour: string) => {
    const path = join(work.dir, `${behaviour}.yaml`);
    writeFileSync(
      path,
      `source:\n  command: ${TAP}\n  config: { token: "\${EXT_TOKEN}", account: "\${EXT_ACCOUNT}", api_key: k9, behaviour: ${behaviour} }\n` +
        `destination:\n  command: ${TARGET}\n  config: { out: ${join(work.dir, 'out.jsonl')} }\nstate: { path: state-${behaviour} }\n`,
    );
    return path;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** Starts `mage-int run` on a tap that keeps running, and waits until it is reading. */
  async function startHanging(behaviour: 'hang' | 'stubborn') {
    const child = startCli(['run', pipeline(behaviour), '--progress', 'none'], { env });
    let stderr = '';
    const result = collect(child, 60_000);
    await new Promise<void>((resolve) =>
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('waiting for more data')) resolve();
      }),
    );
    const tapPid = Number(/tap pid (\d+)/.exec(stderr)?.[1]);
    expect(leftovers()).toHaveLength(2); // the tap's and the target's
    return { child, result, tapPid };
  }

  beforeAll(() => assertBuilt());
  beforeEach(() => {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
  });
  afterAll(() => work.remove());

  it('never prints the values ${VAR} gave the tap, even when the tap echoes them; its ERROR lines are errors', async () => {
    const result = await runCli(['run', pipeline('fail'), '--progress', 'none'], { env });
    expect(result.code).toBe(1);
    for (const secret of ['tok-51d3e', 'acct-0042', 'k9']) expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.stderr).toMatch(/^INFO .*connecting with token \*\*\* as \*\*\* \(api_key \*\*\*\)$/m);
    expect(result.stderr).toMatch(/^ERROR .*ERROR upstream rejected token \*\*\*$/m);
    expect(result.stderr).toMatch(/^error: .*exited with code 3/m);
    expect(leftovers()).toEqual([]);

    const check = await runCli(['check', pipeline('ok')], { env });
    expect(check.code).toBe(0);
    expect(check.stderr).toContain('config.json mode 600, folder mode 700');
    for (const secret of ['tok-51d3e', 'acct-0042', 'k9']) expect(check.stdout + check.stderr).not.toContain(secret);
    expect(leftovers()).toEqual([]);
  });

  it('removes the config folder and stops the tap on SIGTERM', async () => {
    const { child, result, tapPid } = await startHanging('hang');
    child.kill('SIGTERM');
    const done = await result;
    expect(done.code).toBe(130);
    expect(leftovers()).toEqual([]);
    expect(alive(tapPid)).toBe(false);
  });

  it('removes the config folder and stops a tap that ignores SIGTERM when Ctrl-C is pressed twice', async () => {
    const { child, result, tapPid } = await startHanging('stubborn');
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGINT');
    const done = await result;
    expect(done.code).toBe(130);
    expect(leftovers()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (alive(tapPid)) process.kill(tapPid, 'SIGKILL');
    expect(leftovers()).toEqual([]);
  });

  it('removes a folder left by a mage-int killed with SIGKILL on the next run', async () => {
    const { child, result, tapPid } = await startHanging('hang');
    child.kill('SIGKILL');
    await result;
    if (alive(tapPid)) process.kill(tapPid, 'SIGKILL');
    expect(leftovers()).toHaveLength(2);
    const next = await runCli(['run', pipeline('ok'), '--progress', 'none'], { env });
    expect(next.code, next.stderr).toBe(0);
    expect(leftovers()).toEqual([]);
  });
});
