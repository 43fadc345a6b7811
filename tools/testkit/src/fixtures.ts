import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExactJson, readSingerMessages, readSourceMessages, type SourceMessage, type StreamLoadOptions } from '@mage-int/core';

/**
 * A destination fixture case (format: fixtures/destination/README.md): `<case>/input.jsonl` (Singer
 * messages), optional `<case>/setup.jsonl` (loaded first, default options) and `<case>/expected.json` with
 * `tables` (contents after the load) or `error` (the load must fail), plus optional `config` (settings
 * merged over the test config), `streams` (load options), `finalState` and `description`.
 */
export interface DestinationFixture {
  name: string;
  directory: string;
  inputPath: string;
  setupPath?: string;
  expected: FixtureExpectation;
}

export interface FixtureExpectation {
  description?: string;
  config?: Record<string, unknown>;
  streams?: Record<string, StreamLoadOptions>;
  tables?: Record<string, Record<string, unknown>[]>;
  error?: { code?: string; message?: string; message_includes?: string[] };
  finalState?: unknown;
}

/** The testkit's bundled fixtures directory. */
export const DEFAULT_DESTINATION_FIXTURES = fileURLToPath(new URL('../fixtures/destination', import.meta.url));

/** The fixture cases under `directory`, sorted by name; none when the directory does not exist. */
export async function loadDestinationFixtures(directory = DEFAULT_DESTINATION_FIXTURES): Promise<DestinationFixture[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    return [];
  }
  const fixtures: DestinationFixture[] = [];
  for (const name of entries.sort()) {
    const caseDir = join(directory, name);
    if (!(await stat(caseDir)).isDirectory()) continue;
    const inputPath = join(caseDir, 'input.jsonl');
    const expectedPath = join(caseDir, 'expected.json');
    const hasInput = await stat(inputPath).then(
      () => true,
      () => false,
    );
    const expectedText = await readFile(expectedPath, 'utf8').catch(() => undefined);
    if (!hasInput || expectedText === undefined) continue;
    const expected = parseExactJson(expectedText) as FixtureExpectation;
    if (!expected.tables && !expected.error) {
      throw new Error(`fixture ${caseDir}: expected.json needs "tables" (a load that succeeds) or "error" (input to reject)`);
    }
    const setupPath = join(caseDir, 'setup.jsonl');
    const hasSetup = await stat(setupPath).then(
      () => true,
      () => false,
    );
    fixtures.push({ name, directory: caseDir, inputPath, ...(hasSetup ? { setupPath } : {}), expected });
  }
  return fixtures;
}

/**
 * The messages of a fixture file (input.jsonl, setup.jsonl), read with the same protocol rules as `mage-int run`;
 * with `recordLines`, as the Singer executable of a destination that reads RECORD lines itself reads them
 * (`Destination.readsRecordLines`: its records parsed and checked only when read).
 */
export function fixtureMessages(path: string, recordLines = false): AsyncGenerator<SourceMessage> {
  if (recordLines) return readSourceMessages(createReadStream(path), { validateRecords: true, recordLines: true });
  return readSingerMessages(createReadStream(path), { validateRecords: true });
}
