#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runMapperCli } from '../transform/mapper-cli.js';

const packageInfo = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;
await runMapperCli(process.argv.slice(2), packageInfo);
