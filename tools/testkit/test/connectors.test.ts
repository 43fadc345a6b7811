// One suite, many connectors: every package in connectors/ runs the conformance suite here, against its real
// service (see docs/authoring-connectors.md). This is the one place it runs: connector packages do not run it
// again, so each shared destination fixture loads once per engine.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConnectorPackage, type Destination, type Source } from '@mage-int/core';
import { findTestConfig, loadTestConfig } from '@mage-int/testkit';
import { describeConformance } from '@mage-int/testkit/vitest';

const connectorsDir = fileURLToPath(new URL('../../../connectors', import.meta.url));
const directories = (await readdir(connectorsDir, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => join(connectorsDir, d.name));

describe('connectors/', () => {
  it('holds only connector packages, each named after its mage-int block', async () => {
    for (const directory of directories) {
      const pkg = await readConnectorPackage(directory);
      if (!pkg) continue; // a package still being created has no package.json yet
      expect(`${pkg.manifest.type}-${pkg.manifest.name}`).toBe(directory.split('/').at(-1));
    }
  });
});

for (const directory of directories) {
  const pkg = await readConnectorPackage(directory);
  if (!pkg) continue;
  const configPath = await findTestConfig(directory);
  if (!configPath) {
    // Fails rather than skips: a connector without a test config would otherwise pass CI untested.
    it(`${pkg.packageName} has a conformance test config`, () => {
      expect.fail(
        `${directory} has no test/testkit.config.ts: add one (docs/authoring-connectors.md) so the conformance suite runs against it`,
      );
    });
    continue;
  }
  // Imported by package name so vitest resolves the TypeScript sources (the @mage-int/source condition).
  const module = (await import(pkg.packageName)) as { default: Source<never> | Destination<never> };
  await describeConformance(module.default, await loadTestConfig(configPath), `${pkg.packageName} conformance`);
}
