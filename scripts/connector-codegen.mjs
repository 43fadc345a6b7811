#!/usr/bin/env node
// Generates, for the connector package in the current directory (or the one given):
//   src/generated/config.ts   the Config type, from spec.json (json-schema-to-typescript)
//   README.md                 the config table between <!-- config:start --> and <!-- config:end -->
// spec.json is the single source of truth; run by each connector's `build` script. The code lives in
// @mage-int/testkit (its `mage-int-codegen` bin serves connectors outside this repository); the source is
// imported directly (Node strips its types), so building a connector does not wait for the testkit's build.
import { generateConnectorCode } from '../tools/testkit/src/codegen.ts';

await generateConnectorCode(process.argv[2] ?? '.');
