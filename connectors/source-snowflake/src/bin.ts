#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runSourceCli } from '@mage-int/core';
import source from './index.js';

const packageInfo = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;
await runSourceCli(source, process.argv.slice(2), packageInfo);
