import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';

/** `state get|set|clear` work on the pipeline's state file without loading (or installing) its connectors. */
describe('mage-int state', () => {
  const work = workDir('state');
  const pipeline = join(work.dir, 'orders.yaml');
  const stateFile = join(work.dir, '.mage-int', 'state', 'orders.json');

  beforeAll(() => {
    assertBuilt();
    // Connectors that are not installed and a password from an unset variable: state commands need neither.
    writeFileSync(
      pipeline,
      'source:\n  name: not-installed\n  config:\n    password: ${MAGE_INT_TEST_SECRET}\ndestination:\n  name: not-installed-either\n',
    );
  });
  afterAll(() => work.remove());

  it('says so when no state is saved yet', async () => {
    const result = await runCli(['state', 'get', pipeline]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no state saved for pipeline orders yet');
  });

  it('sets, reads and clears a whole state, keeping big integers exact', async () => {
    const value = '{"bookmarks":{"orders":{"last_pk_fetched":{"id":12345678901234567890},"version":1}},"currently_syncing":"orders"}';
    const set = await runCli(['state', 'set', pipeline, '--value', value]);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`state of pipeline orders saved to ${stateFile}`);
    expect(readFileSync(stateFile, 'utf8')).toContain('"id": 12345678901234567890');

    const get = await runCli(['state', 'get', pipeline]);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('"id": 12345678901234567890');
    expect(JSON.parse(get.stdout)).toMatchObject({ currently_syncing: 'orders', bookmarks: { orders: { version: 1 } } });

    const clear = await runCli(['state', 'clear', pipeline]);
    expect(clear.code).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
  });

  it('sets, reads and clears one stream, leaving the others', async () => {
    await runCli(['state', 'set', pipeline, '--value', '{"bookmarks":{"a":{"replication_key_value":1},"b":{"replication_key_value":2}}}']);
    const setB = await runCli([
      'state',
      'set',
      pipeline,
      '--stream',
      'b',
      '--value',
      '{"replication_key":"updated_at","replication_key_value":"2024-05-01T00:00:00.123456Z"}',
    ]);
    expect(setB.code).toBe(0);
    const getB = await runCli(['state', 'get', pipeline, '--stream', 'b']);
    expect(JSON.parse(getB.stdout)).toEqual({ replication_key: 'updated_at', replication_key_value: '2024-05-01T00:00:00.123456Z' });

    const clearA = await runCli(['state', 'clear', pipeline, '--stream', 'a']);
    expect(clearA.code).toBe(0);
    const all = JSON.parse((await runCli(['state', 'get', pipeline])).stdout) as { bookmarks: Record<string, unknown> };
    expect(Object.keys(all.bookmarks)).toEqual(['b']);
  });

  it('reads the new value from a file, unwrapping a Meltano singer_state', async () => {
    const file = join(work.dir, 'meltano.json');
    writeFileSync(file, '{"singer_state":{"bookmarks":{"users":{"replication_key_value":"2024-01-01"}}}}');
    const result = await runCli(['state', 'set', pipeline, '--file', file]);
    expect(result.code).toBe(0);
    expect(JSON.parse((await runCli(['state', 'get', pipeline])).stdout)).toEqual({
      bookmarks: { users: { replication_key_value: '2024-01-01' } },
    });
  });

  it('honours --state-dir', async () => {
    const elsewhere = join(work.dir, 'elsewhere');
    const result = await runCli(['state', 'set', pipeline, '--state-dir', elsewhere, '--value', '{"bookmarks":{}}']);
    expect(result.code).toBe(0);
    expect(existsSync(join(elsewhere, 'orders.json'))).toBe(true);
  });

  it('rejects invalid values with exit 2 and changes nothing', async () => {
    const before = readFileSync(stateFile, 'utf8');
    const notJson = await runCli(['state', 'set', pipeline, '--value', '{bookmarks:']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^error: --value is not valid JSON/m);
    const notObject = await runCli(['state', 'set', pipeline, '--stream', 'users', '--value', '[1,2]']);
    expect(notObject.code).toBe(2);
    expect(notObject.stderr).toContain('error: stream "users": a bookmark must be a JSON object, got an array');
    const both = await runCli(['state', 'set', pipeline, '--value', '{}', '--file', 'x.json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/error: .*--file/);
    const neither = await runCli(['state', 'set', pipeline]);
    expect(neither.code).toBe(2);
    const missingFile = await runCli(['state', 'set', pipeline, '--file', join(work.dir, 'nope.json')]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain('error: cannot read');
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
  });

  it('still needs variables that the pipeline id or state path use', async () => {
    const dependent = join(work.dir, 'dependent.yaml');
    writeFileSync(dependent, 'id: ${MAGE_INT_TEST_PIPELINE_ID}\nsource: {name: x}\ndestination: {name: y}\n');
    const result = await runCli(['state', 'get', dependent]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('environment variable MAGE_INT_TEST_PIPELINE_ID is not set');
  });
});
