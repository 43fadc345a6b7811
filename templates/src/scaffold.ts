import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConnectorKind } from '@mage-int/core';

/** Where the templates live: beside src/ and dist/ in this package. */
export const TEMPLATES_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Files every scaffold gets, unless its template has its own at the same path (none today: the HTTP client is core's). */
const SHARED_DIR = join(TEMPLATES_DIR, 'shared');

/** Versions a standalone scaffold's dev tools are pinned to (the ones mage-int itself is built with). */
export const TOOL_VERSIONS = { typescript: '^7.0.2', vitest: '^5.1.1', '@types/node': '^24.0.0' } as const;

/** Compiler options of a standalone scaffold (the same as mage-int's own tsconfig.base.json). */
const STANDALONE_COMPILER_OPTIONS = {
  target: 'ES2023',
  lib: ['ES2024', 'ESNext.Collection'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  declaration: true,
  declarationMap: true,
  sourceMap: true,
  esModuleInterop: true,
  skipLibCheck: true,
  resolveJsonModule: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
};

export interface TemplateInfo {
  /** Directory name, e.g. `source-http`. */
  id: string;
  kind: ConnectorKind;
  description: string;
  directory: string;
}

/** The templates this package ships, read from their package.json (`mage-int.type` gives the kind). */
export async function listTemplates(): Promise<TemplateInfo[]> {
  const out: TemplateInfo[] = [];
  for (const entry of await readdir(TEMPLATES_DIR)) {
    const directory = join(TEMPLATES_DIR, entry);
    const pkg = await readFile(join(directory, 'package.json'), 'utf8').then(
      (t) => JSON.parse(t) as Record<string, unknown>,
      () => undefined,
    );
    const kind = (pkg?.['mage-int'] as { type?: string } | undefined)?.type;
    if (kind === 'source' || kind === 'destination')
      out.push({ id: entry, kind, description: String(pkg?.['description'] ?? ''), directory });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** The mage-int monorepo root above `directory` (a workspace root holding core/ as @mage-int/core), if any. */
export async function findWorkspaceRoot(directory: string): Promise<string | undefined> {
  for (let dir = resolve(directory); ; dir = dirname(dir)) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').then(
      (t) => JSON.parse(t) as Record<string, unknown>,
      () => undefined,
    );
    if (pkg && Array.isArray(pkg['workspaces'])) {
      const core = await readFile(join(dir, 'core/package.json'), 'utf8').then(
        (t) => JSON.parse(t) as Record<string, unknown>,
        () => undefined,
      );
      const codegen = await access(join(dir, 'scripts/connector-codegen.mjs')).then(
        () => true,
        () => false,
      );
      if (core?.['name'] === '@mage-int/core' && codegen) return dir;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export interface ScaffoldOptions {
  kind: ConnectorKind;
  /** Short connector name: lower case letters, digits and dashes (`acme`, `google-sheets`). */
  name: string;
  /** Where to create the package; default `<kind>-<name>` in the working directory (connectors/ in the monorepo). */
  directory?: string;
  /** npm package name; default `@mage-int/<kind>-<name>` in the monorepo, else `<scope>/<kind>-<name>` or `mage-int-<kind>-<name>`. */
  packageName?: string;
  /** npm scope for a standalone package (`@acme`). */
  scope?: string;
  /** Template id (see listTemplates); default the first one of the kind. */
  template?: string;
  /** Force the layout; default: `workspace` when the directory is inside the mage-int monorepo. */
  layout?: 'workspace' | 'standalone';
}

export interface ScaffoldResult {
  directory: string;
  packageName: string;
  layout: 'workspace' | 'standalone';
  template: string;
  files: string[];
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'generated') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path, base)));
    else files.push(relative(base, path));
  }
  return files.sort();
}

async function ownVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(TEMPLATES_DIR, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Creates a connector package from a template: the standard layout (package.json with its `mage-int`
 * block, spec.json, src/, test/ with a conformance test config, README), ready to build and test.
 * Inside the mage-int monorepo it uses the shared tsconfig and codegen script; elsewhere it is
 * self-contained (its own tsconfig, `mage-int-codegen` from @mage-int/testkit, vitest).
 */
export async function scaffoldConnector(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const { kind, name } = options;
  if (!NAME.test(name)) {
    throw new ConfigError('NAME_INVALID', `"${name}" is not a valid connector name`, {
      hint: 'use lower case letters, digits and dashes, starting with a letter: acme, google-sheets',
    });
  }
  const templates = (await listTemplates()).filter((t) => t.kind === kind);
  const template = options.template ? templates.find((t) => t.id === options.template) : templates[0];
  if (!template) {
    throw new ConfigError('TEMPLATE_UNKNOWN', `no ${kind} template${options.template ? ` named "${options.template}"` : ''}`, {
      hint: `available: ${(await listTemplates()).map((t) => t.id).join(', ')}`,
    });
  }
  const directory = resolve(options.directory ?? `${kind}-${name}`);
  const existing = await readdir(directory).catch(() => undefined);
  if (existing && existing.length > 0) {
    throw new ConfigError('DIRECTORY_NOT_EMPTY', `${directory} already exists and is not empty`, { hint: 'choose another name or --dir' });
  }
  const root = options.layout === 'standalone' ? undefined : await findWorkspaceRoot(dirname(directory));
  if (options.layout === 'workspace' && !root) {
    throw new ConfigError('NOT_IN_WORKSPACE', `${directory} is not inside the mage-int monorepo`, {
      hint: 'drop --layout workspace to create a standalone package',
    });
  }
  const layout = root ? 'workspace' : 'standalone';
  const scope = options.scope ? (options.scope.startsWith('@') ? options.scope : `@${options.scope}`) : undefined;
  const packageName =
    options.packageName ??
    (layout === 'workspace' ? `@mage-int/${kind}-${name}` : scope ? `${scope}/${kind}-${name}` : `mage-int-${kind}-${name}`);
  const version = `^${await ownVersion()}`;
  const replacements: [string, string][] = [
    ['__PACKAGE__', packageName],
    ['__CLASS__', pascalCase(name)],
    ['__TITLE__', pascalCase(name)],
    ['__ENV__', `${name.replace(/-/g, '_').toUpperCase()}_`],
    ['__SUPPORT__', packageName.startsWith('@mage-int/') ? 'certified' : 'community'],
    ['__NAME__', name],
  ];
  const rel = root ? relative(root, directory).split(sep).join('/') : '';
  const devCommands =
    layout === 'workspace'
      ? [
          `npm run build -w ${packageName}   # codegen from spec.json, compile to dist/`,
          `npx vitest run ${rel}   # unit tests and the mage-int conformance suite`,
          `mage-int test ${rel}   # the conformance suite alone, against test/testkit.config.ts`,
          `mage-int publish ${rel}   # build, pack and publish to your registry`,
        ]
      : [
          'npm run build      # generates src/generated/config.ts from spec.json, compiles to dist/',
          'npm test           # unit tests and the mage-int conformance suite',
          'mage-int test      # the conformance suite alone, against test/testkit.config.ts',
          'mage-int publish   # build, pack and publish to your registry',
        ];
  replacements.unshift(['__DEV_COMMANDS__', ['```sh', ...devCommands, '```'].join('\n')]);
  const fill = (text: string) => replacements.reduce((out, [from, to]) => out.split(from).join(to), text);

  const own = await walk(template.directory);
  const shared = (await walk(SHARED_DIR).catch(() => [] as string[])).filter((file) => !own.includes(file));
  const sources = [...own.map((file) => [file, template.directory] as const), ...shared.map((file) => [file, SHARED_DIR] as const)];
  const files = sources.map(([file]) => file);
  await mkdir(directory, { recursive: true });
  for (const [file, from] of sources) {
    const target = join(directory, file);
    await mkdir(dirname(target), { recursive: true });
    let text = fill(await readFile(join(from, file), 'utf8'));
    if (file === 'package.json')
      text =
        JSON.stringify(
          packageJson(
            JSON.parse(text) as Record<string, unknown>,
            layout,
            root ? relative(directory, root).split(sep).join('/') : '',
            version,
          ),
          null,
          2,
        ) + '\n';
    await writeFile(target, text);
  }
  const extra: Record<string, string> = {};
  if (root) {
    const rel = relative(directory, root).split(sep).join('/');
    extra['tsconfig.json'] = JSON.stringify(
      { extends: `${rel}/tsconfig.base.json`, compilerOptions: { rootDir: '.', noEmit: true }, include: ['src', 'test'] },
      null,
      2,
    );
    extra['tsconfig.build.json'] = JSON.stringify(
      { extends: `${rel}/tsconfig.base.json`, compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] },
      null,
      2,
    );
  } else {
    extra['tsconfig.json'] = JSON.stringify(
      { compilerOptions: { ...STANDALONE_COMPILER_OPTIONS, rootDir: '.', noEmit: true }, include: ['src', 'test'] },
      null,
      2,
    );
    extra['tsconfig.build.json'] = JSON.stringify(
      { extends: './tsconfig.json', compilerOptions: { rootDir: 'src', outDir: 'dist', noEmit: false }, include: ['src'] },
      null,
      2,
    );
    extra['.gitignore'] = 'node_modules/\ndist/\nsrc/generated/\n*.tgz\n';
  }
  for (const [file, text] of Object.entries(extra)) {
    await writeFile(join(directory, file), text.endsWith('\n') ? text : `${text}\n`);
    files.push(file);
  }
  return { directory, packageName, layout, template: template.id, files: files.sort() };
}

function packageJson(
  pkg: Record<string, unknown>,
  layout: 'workspace' | 'standalone',
  rootRelative: string,
  version: string,
): Record<string, unknown> {
  const out = { ...pkg };
  if (layout === 'workspace') {
    out['scripts'] = {
      build: `node ${rootRelative}/scripts/connector-codegen.mjs && tsc -p tsconfig.build.json`,
      typecheck: `node ${rootRelative}/scripts/connector-codegen.mjs && tsc -p tsconfig.json`,
    };
    out['dependencies'] = { '@mage-int/core': version };
    out['devDependencies'] = { '@mage-int/testkit': version };
  } else {
    out['scripts'] = {
      build: 'mage-int-codegen && tsc -p tsconfig.build.json',
      typecheck: 'mage-int-codegen && tsc -p tsconfig.json',
      test: 'mage-int-codegen && vitest run',
    };
    out['dependencies'] = { '@mage-int/core': version };
    out['devDependencies'] = { '@mage-int/testkit': version, ...TOOL_VERSIONS };
  }
  return out;
}
