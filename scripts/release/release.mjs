#!/usr/bin/env node
// Releases the packages that changed: `npm run release -- --registry <url> [--dry-run] [--specifier patch|minor|major|x.y.z]
// [--projects a,b] [--first-release] [--no-git]`.
//
// 1. nx release version: each package is versioned on its own (nx.json "release": independent). What changed since a
//    package's last tag (<package>@<version>) decides its bump: feat: → minor, fix: and any other commit → patch
//    (or --specifier for all of them); packages depending on a bumped one get a patch bump and the new range.
// 2. nx release changelog: <package>/CHANGELOG.md, then a release commit and a tag per package (unless --no-git).
// 3. build, then publish every released package whose new version the registry does not have yet, to --registry
//    (any npm registry; authentication is npm's: an _authToken for it in .npmrc).
// --dry-run shows the versions, changelogs and what would be published, and changes nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { releaseChangelog, releaseVersion } from 'nx/release';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values: options } = parseArgs({
  options: {
    registry: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    specifier: { type: 'string' },
    projects: { type: 'string' },
    'first-release': { type: 'boolean', default: false },
    'no-git': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const dryRun = options['dry-run'];
const registry = options.registry ? (options.registry.endsWith('/') ? options.registry : `${options.registry}/`) : undefined;
if (!registry) {
  process.stderr.write('error: --registry <url> is required (where to publish; e.g. https://registry.npmjs.org/ or a local one)\n');
  process.exit(2);
}
const git = !dryRun && !options['no-git'];
const projects = options.projects
  ?.split(',')
  .map((p) => p.trim())
  .filter(Boolean);

/** npm arguments that send a package and its scope to the release registry, whatever .npmrc says. */
const registryArgs = (name) => [
  `--registry=${registry}`,
  ...(name.startsWith('@') ? [`--${name.split('/')[0]}:registry=${registry}`] : []),
];

function published(name, version) {
  const result = spawnSync('npm', ['view', `${name}@${version}`, 'version', ...registryArgs(name)], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() !== '';
}

const { projectsVersionData, releaseGraph } = await releaseVersion({
  specifier: options.specifier,
  projects,
  dryRun,
  verbose: options.verbose,
  firstRelease: options['first-release'],
  gitCommit: false,
  gitTag: false,
  stageChanges: git,
});
await releaseChangelog({
  versionData: projectsVersionData,
  projects,
  dryRun,
  verbose: options.verbose,
  firstRelease: options['first-release'],
  gitCommit: git,
  gitTag: git,
  gitCommitMessage: 'release: {projectName} {version}',
  releaseGraph,
});

const released = Object.entries(projectsVersionData).filter(([, data]) => data.newVersion !== null);
if (released.length === 0) {
  console.log('nothing changed since the last release: nothing to publish');
  process.exit(0);
}
const graph = JSON.parse(
  execFileSync('npx', ['nx', 'graph', '--file=stdout'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
);
const toPublish = [];
for (const [project, data] of released) {
  const directory = join(root, graph.graph.nodes[project].data.root);
  const pkg = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  if (published(pkg.name, data.newVersion)) console.log(`${pkg.name}@${data.newVersion} is already on ${registry}: skipped`);
  else toPublish.push({ name: pkg.name, version: data.newVersion, directory });
}
if (dryRun) {
  for (const p of toPublish) console.log(`would publish ${p.name}@${p.version} to ${registry}`);
  console.log(`dry run: ${toPublish.length} package${toPublish.length === 1 ? '' : 's'} would be published; nothing was changed`);
  process.exit(0);
}
if (toPublish.length > 0)
  execFileSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=stream', `--projects=${toPublish.map((p) => p.name).join(',')}`], {
    cwd: root,
    stdio: 'inherit',
  });
let failed = 0;
for (const p of toPublish) {
  const result = spawnSync('npm', ['publish', '--ignore-scripts', ...registryArgs(p.name)], { cwd: p.directory, stdio: 'inherit' });
  if (result.status === 0) console.log(`published ${p.name}@${p.version} to ${registry}`);
  else {
    failed++;
    console.error(`error: publishing ${p.name}@${p.version} failed (see npm's output above)`);
  }
}
process.exit(failed > 0 ? 1 : 0);
