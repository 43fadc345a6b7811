import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';

/** Rejected input: every case checks the message, the hint and the exit code, and that no stack trace leaks. */
describe('mage-int rejects bad input with a clear message and exit code', () => {
  const work = workDir('errors');
  const file = (name: string, text: string) => {
    const path = join(work.dir, name);
    writeFileSync(path, text);
    return path;
  };
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it('names a missing environment variable and where the file uses it (exit 2)', async () => {
    const pipeline = file(
      'env.yaml',
      'source:\n  name: faker\n  config:\n    orders: ${MAGE_INT_TEST_UNSET_VAR}\ndestination:\n  name: duckdb\n',
    );
    const result = await runCli(['run', pipeline], { env: { MAGE_INT_TEST_UNSET_VAR: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: ');
    expect(result.stderr).toContain('environment variable MAGE_INT_TEST_UNSET_VAR is not set');
    expect(result.stderr).toContain('source.config.orders');
    expect(result.stderr).toContain('hint: export MAGE_INT_TEST_UNSET_VAR=');
    noStack(result.stderr);
  });

  it('reports invalid YAML with its line (exit 2)', async () => {
    const pipeline = file('bad.yaml', 'source:\n  name: faker\ndestination: [\n');
    const result = await runCli(['run', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: pipeline file .*bad\.yaml is not valid YAML \(line \d+/m);
    noStack(result.stderr);
  });

  it('names an unknown key of the pipeline file (exit 2)', async () => {
    const pipeline = file('unknown-key.yaml', 'source:\n  name: faker\ndestination:\n  name: duckdb\nschedule: hourly\n');
    const result = await runCli(['run', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"schedule" is not a known key');
    expect(result.stderr).toContain('hint: see docs/pipeline-config.md');
    noStack(result.stderr);
  });

  it('names an unknown key inside a stream block (exit 2)', async () => {
    const pipeline = file(
      'unknown-stream-key.yaml',
      'source:\n  name: faker\ndestination:\n  name: duckdb\nstreams:\n  orders:\n    replication: FULL_TABLE\n',
    );
    const result = await runCli(['run', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('streams.orders: "replication" is not a known key');
  });

  it('tells how to install a connector that is not installed (exit 2)', async () => {
    const pipeline = file('unknown-connector.yaml', 'source:\n  name: no-such-thing\ndestination:\n  name: no-such-place\n');
    const result = await runCli(['run', pipeline]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: no source connector "no-such-thing" is installed');
    expect(result.stderr).toContain('hint: run `mage-int add source-no-such-thing`');
    noStack(result.stderr);
    const destination = file(
      'unknown-destination.yaml',
      'source:\n  command: tap-anything\ndestination:\n  package: "@acme/target-nowhere"\n',
    );
    const second = await runCli(['run', destination]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('error: no destination connector "@acme/target-nowhere" is installed');
    expect(second.stderr).toContain('hint: run `mage-int add @acme/target-nowhere`');
  });

  it('reports a pipeline file that does not exist (exit 2)', async () => {
    const result = await runCli(['run', join(work.dir, 'missing.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: cannot read pipeline file .*missing\.yaml/m);
  });

  it('rejects an unknown flag and a missing argument with usage hints (exit 2)', async () => {
    const flag = await runCli(['run', 'x.yaml', '--fast']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('error: Nonexistent flag: --fast');
    expect(flag.stderr).toContain('hint: run `mage-int run --help`');
    const arg = await runCli(['discover']);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain('error: Missing 1 required arg');
    expect(arg.stderr).toContain('hint: run `mage-int discover --help`');
    noStack(flag.stderr + arg.stderr);
  });

  it('rejects an unknown command, listing the real ones (exit 2)', async () => {
    const result = await runCli(['sync', 'x.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: unknown command "sync"');
    expect(result.stderr).toMatch(/hint: .*commands: .*run/);
    const sub = await runCli(['state', 'show', 'x.yaml']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('error: unknown command "state show"');
    expect(sub.stderr).toContain('`state get`');
  });

  it('prints the stack trace only with --debug or DEBUG', async () => {
    const pipeline = file('debug.yaml', 'source: {name: faker}\ndestination: {name: duckdb}\nbogus: 1\n');
    const plain = await runCli(['run', pipeline]);
    noStack(plain.stderr);
    const debug = await runCli(['run', pipeline, '--debug']);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toContain('"bogus" is not a known key');
    expect(debug.stderr).toMatch(/^\s+at .+/m);
    const env = await runCli(['run', pipeline], { env: { DEBUG: '1' } });
    expect(env.stderr).toMatch(/^\s+at .+/m);
  });

  it('reports errors as JSON on stdout with --json', async () => {
    const pipeline = file('json.yaml', 'source: {name: faker}\ndestination: {name: duckdb}\nbogus: 1\n');
    const result = await runCli(['run', pipeline, '--json']);
    expect(result.code).toBe(2);
    const parsed = JSON.parse(result.stdout) as { status: string; error: { code: string; message: string }; exitCode: number };
    expect(parsed).toMatchObject({ status: 'error', exitCode: 2, error: { code: 'PIPELINE_INVALID' } });
    expect(parsed.error.message).toContain('"bogus" is not a known key');
  });
});

describe('mage-int --help', () => {
  beforeAll(() => assertBuilt());

  it('lists every command', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['init', 'run', 'discover', 'check', 'state', 'slots'])
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
  });

  it.each(['init', 'run', 'discover', 'check', 'state get', 'state set', 'state clear', 'slots list', 'slots drop'])(
    'documents `%s` with usage, flags and examples',
    async (name) => {
      const command = name.split(' ');
      const result = await runCli([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('USAGE');
      expect(result.stdout).toContain(`$ mage-int ${command.join(' ')}`);
      expect(result.stdout).toContain('DESCRIPTION');
      expect(result.stdout).toContain('EXAMPLES');
      expect(result.stdout).toContain('--debug');
    },
  );
});
