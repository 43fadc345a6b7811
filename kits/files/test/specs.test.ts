import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without types
import { specText } from '../scripts/compose-spec.mjs';

const connectors = fileURLToPath(new URL('../../../connectors', import.meta.url));
const fileConnectors = readdirSync(connectors).filter((name) => existsSync(join(connectors, name, 'storage-spec.json')));

describe('file connectors share the file layer settings', () => {
  it('finds the file connectors', () => {
    expect(fileConnectors).toEqual(expect.arrayContaining(['source-files', 'destination-files']));
  });
  for (const name of fileConnectors) {
    it(`${name}/spec.json is its storage settings plus the shared ones`, () => {
      const dir = join(connectors, name);
      expect(readFileSync(join(dir, 'spec.json'), 'utf8'), `run: node kits/files/scripts/compose-spec.mjs connectors/${name}`).toBe(
        (specText as (dir: string) => string)(dir),
      );
    });
  }
});
