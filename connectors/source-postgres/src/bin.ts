#!/usr/bin/env node
import { runSourceCli } from '@mage-int/core';
import packageInfo from '../package.json' with { type: 'json' };
import source from './index.js';
import { tuneHeapForStreaming } from './streaming-heap.js';

// A tap holds one batch at a time: keep V8 from sizing its heap for far more (see streaming-heap.ts).
tuneHeapForStreaming();
await runSourceCli(source as never, process.argv.slice(2), packageInfo);
