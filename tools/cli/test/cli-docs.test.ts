// docs/cli.md lists every command (issue 9.20): its table is generated from the oclif manifest and every command has a
// section there. Needs `npm run build` (the manifest is written by the build).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types
import { CLI_DOC, commandRows, withCommandTable } from '../scripts/command-table.mjs';
import { assertBuilt, PACKAGE_DIR } from './cli-harness.js';

interface Manifest {
  commands: Record<string, { hidden?: boolean; flags: Record<string, { allowNo?: boolean }> }>;
}

describe('docs/cli.md', () => {
  let manifest: Manifest;
  let doc: string;
  beforeAll(async () => {
    assertBuilt();
    manifest = JSON.parse(await readFile(join(PACKAGE_DIR, 'oclif.manifest.json'), 'utf8')) as Manifest;
    doc = await readFile(CLI_DOC as string, 'utf8');
  });

  it('lists every command of the CLI, as generated from the oclif manifest', () => {
    expect(doc, 'stale: run `node tools/cli/scripts/command-table.mjs` after `npm run build`').toBe(
      (withCommandTable as (m: Manifest, d: string) => string)(manifest, doc),
    );
    for (const id of Object.keys(manifest.commands)) expect(doc).toContain(`\`${id.replace(/:/g, ' ')}`);
  });

  it('mentions every flag of every command', () => {
    const missing: string[] = [];
    for (const [id, command] of Object.entries(manifest.commands)) {
      for (const flag of Object.keys(command.flags)) {
        if (flag === 'debug') continue; // global, described once under errors
        if (![`--${flag}`, `--[no-]${flag}`, `--no-${flag}`].some((form) => doc.includes(form)))
          missing.push(`${id.replace(/:/g, ' ')} --${flag}`);
      }
    }
    expect(missing, 'document these flags in docs/cli.md').toEqual([]);
  });

  it('has a section for every command', () => {
    const rows = (commandRows as (m: Manifest, d: string) => { id: string; anchor?: string }[])(manifest, doc);
    expect(
      rows.filter((r) => !r.anchor).map((r) => r.id),
      'give these a ## `mage-int <command>` section in docs/cli.md',
    ).toEqual([]);
  });
});
