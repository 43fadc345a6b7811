import { createReadStream, writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, MageError, readSingerMessages } from '@mage-int/core';
import { normalizeIdentifier } from '@mage-int/core/sql';
import { baseConfig, createDatabase, ensureBuilt, load, readTable, runBin } from './helpers.js';
import { canonicalValue, diffRows, loadDestinationFixtures, type DestinationFixture } from '@mage-int/testkit';

// The shared, engine-neutral fixtures (tools/testkit/fixtures/destination); the testkit's conformance run loads them
// too, this file adds PostgreSQL's own table reads and the standalone target for the error cases.
const cases = await loadDestinationFixtures();
let database: { name: string; drop: () => Promise<void> };
let workDir: string;

beforeAll(async () => {
  database = await createDatabase('dpg_fixtures');
  workDir = mkdtempSync(join(tmpdir(), 'dpg-fixtures-'));
  if (cases.some((c) => c.expected.error)) ensureBuilt();
});

afterAll(async () => {
  await database?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function configFor(fixture: DestinationFixture, suffix = '') {
  const schema = `fx_${fixture.name.replace(/[^a-z0-9]+/g, '_')}${suffix}`;
  return baseConfig(database.name, schema, fixture.expected.config ?? {});
}

function messagesOf(path: string) {
  return readSingerMessages(createReadStream(path), { validateRecords: true });
}

describe('destination fixtures (tools/testkit/fixtures/destination) against PostgreSQL', () => {
  it('finds the shared fixture cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const fixture of cases.filter((c) => c.expected.tables)) {
    it(`${fixture.name}: ${fixture.expected.description ?? 'loads the expected rows'}`, async () => {
      const config = configFor(fixture);
      if (fixture.setupPath) await load(config, messagesOf(fixture.setupPath));
      const states = await load(config, messagesOf(fixture.inputPath), fixture.expected.streams ?? {});
      for (const [stream, rows] of Object.entries(fixture.expected.tables ?? {})) {
        const table = normalizeIdentifier(stream, { maxBytes: 63 });
        const diff = diffRows(await readTable(database.name, config.schema as string, table), rows);
        expect(diff, `table of stream "${stream}"`).toBeUndefined();
      }
      if (fixture.expected.finalState !== undefined) expect(canonicalValue(states.at(-1))).toEqual(canonicalValue(fixture.expected.finalState));
    });
  }

  for (const fixture of cases.filter((c) => c.expected.error)) {
    const error = fixture.expected.error as NonNullable<DestinationFixture['expected']['error']>;
    const substrings = [...(error.message ? [error.message] : []), ...(error.message_includes ?? [])];

    it(`${fixture.name}: rejected in process with code ${error.code}`, async () => {
      const failure = await load(configFor(fixture), messagesOf(fixture.inputPath), fixture.expected.streams ?? {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure, 'the load must fail').toBeInstanceOf(MageError);
      if (error.code) expect((failure as MageError).code).toBe(error.code);
      const text = formatError(failure);
      for (const part of substrings) expect(text).toContain(part);
    });

    it(`${fixture.name}: the standalone target exits non-zero with a clear message`, async () => {
      const configPath = join(workDir, `${fixture.name}.json`);
      writeFileSync(configPath, JSON.stringify(configFor(fixture, '_bin')));
      const result = await runBin(configPath, readFileSync(fixture.inputPath));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: /m);
      for (const part of substrings) expect(result.stderr).toContain(part);
    });
  }
});
