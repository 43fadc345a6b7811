#!/usr/bin/env node
// The `mage-int` command. Runs the compiled commands in ../dist (never TypeScript sources, whatever NODE_ENV says).
import { execute, settings } from '@oclif/core';

settings.enableAutoTranspile = false;
await execute({ dir: import.meta.url });
