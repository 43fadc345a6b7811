#!/usr/bin/env node
import { runDestinationCli } from '@mage-int/core';
import packageInfo from '../package.json' with { type: 'json' };
import destination from './index.js';

await runDestinationCli(destination, process.argv.slice(2), packageInfo);
