#!/usr/bin/env node
import { runSourceCli } from '@mage-int/core';
import packageInfo from '../package.json' with { type: 'json' };
import source from './index.js';

await runSourceCli(source, process.argv.slice(2), packageInfo);
