#!/usr/bin/env node
// Writes oclif.manifest.json (run by `npm run build`, after tsc). With it, `mage-int <command>` imports only that
// command's module instead of every command's (oclif otherwise loads them all to learn their flags).
// bin/run.js ignores the manifest when dist/commands is newer, so a bare `tsc` never leaves a stale command list.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin, settings } from '@oclif/core';

settings.enableAutoTranspile = false;
const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = new Plugin({
  root,
  type: 'core',
  isRoot: true,
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
await writeFile(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2) + '\n');
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
