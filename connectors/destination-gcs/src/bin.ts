#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runDestinationCli } from '@mage-int/core';
import destination from './index.js';

const packageInfo = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;
await runDestinationCli(destination, process.argv.slice(2), packageInfo);
