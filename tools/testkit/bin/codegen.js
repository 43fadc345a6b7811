#!/usr/bin/env node
// mage-int-codegen [dir]: generates src/generated/config.ts and the README config table from spec.json.
import { generateConnectorCode } from '../dist/codegen.js';

try {
  await generateConnectorCode(process.argv[2] ?? '.');
} catch (error) {
  process.stderr.write(`mage-int-codegen: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
