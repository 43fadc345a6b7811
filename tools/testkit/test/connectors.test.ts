// One suite, many connectors: every package in connectors/ that has a test/testkit.config.ts runs the
// conformance suite here, against its real service (see docs/authoring-connectors.md).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConnectorPackage, type Destination, type Source } from '@mage-int/core';
import { findTestConfig, loadTestConfig } from '@mage-int/testkit';
import { describeConformance } from '@mage-int/testkit/vitest';

const connectorsDir = fileURLToPath(new URL('../../../connectors', import.meta.url));
const directories = (await readdir(connectorsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(connectorsDir, d.name));

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
  const configPath = pkg && (await findTestConfig(directory));
  if (!pkg || !configPath) continue;
  // Imported by package name so vitest resolves the TypeScript sources (the @mage-int/source condition).
  const module = (await import(pkg.packageName)) as { default: Source<never> | Destination<never> };
  await describeConformance(module.default, await loadTestConfig(configPath), `${pkg.packageName} conformance`);
}
