import { defineConfig } from 'vitest/config';

// One vitest run covers every package. Workspace packages resolve to their TypeScript sources
// through the `@mage-int/source` export condition, so tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['@mage-int/source'] },
  ssr: { resolve: { conditions: ['@mage-int/source'], externalConditions: ['@mage-int/source'] } },
  test: {
    include: [
      'core/test/**/*.test.ts',
      'connectors/*/test/**/*.test.ts',
      'kits/*/test/**/*.test.ts',
      'tools/*/test/**/*.test.ts',
      'registry/test/**/*.test.ts',
      'templates/test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
