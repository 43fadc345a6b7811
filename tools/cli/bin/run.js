#!/usr/bin/env node
// The `mage-int` command. Runs the compiled commands in ../dist (never TypeScript sources, whatever NODE_ENV says).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execute, settings } from '@oclif/core';

settings.enableAutoTranspile = false;
// `mage-int state get p.yaml | head -1`: a reader that stops early is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const root = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time of the compiled commands. */
function newestCommand(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestCommand(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * In a development checkout (src/ present), a manifest older than the compiled commands (a build without
 * `npm run build`) would hide new commands. Installed packages have no src/, and npm gives their files
 * install-time mtimes, so the check is skipped there.
 */
function manifestIsStale() {
  if (!existsSync(join(root, 'src'))) return false;
  try {
    return newestCommand(join(root, 'dist', 'commands')) > statSync(join(root, 'oclif.manifest.json')).mtimeMs;
  } catch {
    return false; // no manifest (oclif scans the commands) or no dist (oclif reports it)
  }
}

await execute({ dir: import.meta.url, loadOptions: manifestIsStale() ? { root, ignoreManifest: true } : undefined });
