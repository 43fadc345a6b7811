import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, workDir } from './cli-harness.js';

/** Config mistakes a user makes in a pipeline file: the message says what to write, `check` and `run` agree on the exit code. */
describe('mage-int check and run on a wrong connector config', () => {
  const work = workDir('config-errors');
  let n = 0;
  const pipeline = (source: string) => {
    const path = join(work.dir, `p${++n}.yaml`);
    writeFileSync(path, `source:\n${source}\ndestination:\n  name: jsonl\n  config: { destination_path: out }\n`);
    return path;
  };
  /** Runs `check` and `run` on the same file; both must fail with exit code 2 and the same error text. */
  async function both(path: string, env: Record<string, string | undefined> = {}) {
    const check = await runCli(['check', path], { env });
    const run = await runCli(['run', path, '--progress', 'none'], { env });
    expect({ check: check.code, run: run.code }).toEqual({ check: 2, run: 2 });
    return { check: check.stdout + check.stderr, run: run.stdout + run.stderr };
  }

  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it('lists the allowed values of a setting with a fixed set', async () => {
    const out = await both(
      pipeline('  name: postgres\n  config: { host: 127.0.0.1, username: postgres, database: postgres, ssl_mode: requir }'),
    );
    for (const text of [out.check, out.run])
      expect(text).toContain('"ssl_mode" must be one of "disable", "require", "verify-ca", "verify-full" (got "requir")');
  });

  it('says to quote a password YAML read as a number, without printing it', async () => {
    const out = await both(
      pipeline('  name: postgres\n  config: { host: 127.0.0.1, username: postgres, database: postgres, password: 987654321 }'),
    );
    for (const text of [out.check, out.run]) {
      expect(text).toContain('"password" must be a string, not a number: quote it (password: "…")');
      expect(text).not.toContain('987654321');
    }
  });

  it('says a variable set to the empty string is empty', async () => {
    const out = await both(
      pipeline(
        '  name: postgres\n  config: { host: 127.0.0.1, username: postgres, database: postgres, password: "${MAGE_INT_TEST_EMPTY}" }',
      ),
      { MAGE_INT_TEST_EMPTY: '' },
    );
    for (const text of [out.check, out.run])
      expect(text).toContain('environment variable MAGE_INT_TEST_EMPTY is set but empty (used at source.config.password)');
  });

  it('exits 2 from check, as from run, for a config error the connector finds while connecting', async () => {
    const faker = await both(pipeline('  name: faker\n  config: { start_date: yesterday }'));
    for (const text of [faker.check, faker.run]) expect(text).toContain('start_date "yesterday" is not an ISO-8601 date-time');
    const pem = await both(
      pipeline(
        '  name: postgres\n  config: { host: 127.0.0.1, username: postgres, database: postgres, ssl_mode: verify-ca, ssl_ca_file: missing.pem }',
      ),
    );
    for (const text of [pem.check, pem.run]) expect(text).toMatch(/cannot read ssl_ca_file .*missing\.pem/);
  });
});
