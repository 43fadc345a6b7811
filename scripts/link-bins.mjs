#!/usr/bin/env node
// Makes every workspace package's `bin` runnable in this checkout: the target file executable and linked into
// node_modules/.bin. Run by `npm run build` after the packages are built, and by `npm run typecheck` (which may restore a
// dependency's build from the nx cache), because neither npm nor nx can do it:
// `npm install` skips bins whose targets (dist/bin.js) do not exist yet, tsc writes new files 0644, and nx
// restores cached outputs without their mode.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The package folders the root's `workspaces` name (`connectors/*` or a plain folder). */
function workspaceDirs() {
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [join(root, pattern)];
    const parent = join(root, pattern.slice(0, -2));
    return existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name)) : [];
  });
}

const problems = [];
mkdirSync(binDir, { recursive: true });
for (const dir of workspaceDirs()) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const bins = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : (pkg.bin ?? {});
  for (const [name, target] of Object.entries(bins)) {
    const file = join(dir, target);
    if (!existsSync(file)) {
      problems.push(`${pkg.name}: bin ${name} → ${target} does not exist (did its build fail?)`);
      continue;
    }
    if (!readFileSync(file, 'utf8').startsWith('#!'))
      problems.push(`${pkg.name}: ${target} has no #! line, so ${name} cannot run as a command`);
    chmodSync(file, 0o755);
    const link = join(binDir, name);
    // Keep a link that already leads to the file (npm's goes through node_modules/<package>); replace anything else.
    if (existsSync(link) && realpathSync(link) === realpathSync(file)) continue;
    rmSync(link, { force: true });
    symlinkSync(relative(binDir, file), link);
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`link-bins: ${problem}`);
  process.exit(1);
}
