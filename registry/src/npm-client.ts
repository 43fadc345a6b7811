import { spawn } from 'node:child_process';
import { ConfigError } from '@mage-int/core';
import { RegistryError } from './registry-error.js';

export interface NpmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NpmOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Stream npm's own output to this process's stderr (installs, builds) instead of only capturing it. */
  echo?: boolean;
}

/** Runs the npm CLI (the one running this process when started through npm, else `npm` on PATH). */
export function runNpm(args: string[], options: NpmOptions = {}): Promise<NpmResult> {
  const execPath = process.env['npm_execpath'];
  const [command, prefix] = execPath && /npm-cli\.c?js$/.test(execPath) ? [process.execPath, [execPath]] : ['npm', []];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], {
      cwd: options.cwd,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', (error) =>
      reject(
        new ConfigError('NPM_NOT_FOUND', `cannot run npm: ${error.message}`, {
          hint: 'mage-int installs and publishes connectors with npm; install Node.js with npm',
        }),
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** npm's error code from its stderr (`npm error code E404`), if any. */
export function npmErrorCode(stderr: string): string | undefined {
  return /npm (?:error|ERR!) code (\S+)/.exec(stderr)?.[1];
}

/** The last meaningful lines of npm's stderr, for an error message. */
export function npmErrorSummary(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^npm (?:error|ERR!)\s*/, '').trim())
    .filter(
      (l) =>
        l && !/^(code|errno|A complete log|syscall|path|\d{3}\s*$)/.test(l) && !l.startsWith('npm notice') && !l.startsWith('npm warn'),
    );
  return [...new Set(lines)].slice(0, 6).join('; ') || 'npm failed';
}

/** Throws a RegistryError describing a failed npm command. */
export function npmFailure(what: string, result: NpmResult, hint?: string): never {
  const code = npmErrorCode(result.stderr);
  throw new RegistryError(code ? `NPM_${code}` : 'NPM_FAILED', `${what} failed: ${npmErrorSummary(result.stderr)}`, { hint });
}

/** A registry URL with a trailing slash, as npm writes them. */
export function normaliseRegistry(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REGISTRY_INVALID', `"${url}" is not a registry URL`, { hint: 'e.g. http://127.0.0.1:4873/' });
  }
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** The scope of a package name (`@acme`), if it has one. */
export function scopeOf(packageName: string): string | undefined {
  return packageName.startsWith('@') ? packageName.split('/')[0] : undefined;
}

/**
 * npm arguments that send one package to `registry`: for a scoped package only its scope is pointed there
 * (`--@acme:registry=…`), so its public dependencies still come from npm's usual registry; an unscoped
 * package needs `--registry`, which then serves its dependencies too.
 */
export function registryArgs(packageName: string, registry: string | undefined): string[] {
  if (!registry) return [];
  const url = normaliseRegistry(registry);
  const scope = scopeOf(packageName);
  return scope ? [`--${scope}:registry=${url}`] : [`--registry=${url}`];
}

/** The registry npm uses for a package (its scope's registry, else the default), as npm's config says. */
export async function configuredRegistry(packageName: string, cwd?: string): Promise<string> {
  const scope = scopeOf(packageName);
  if (scope) {
    const scoped = (await runNpm(['config', 'get', `${scope}:registry`], { cwd })).stdout.trim();
    if (scoped && scoped !== 'undefined') return normaliseRegistry(scoped);
  }
  const fallback = (await runNpm(['config', 'get', 'registry'], { cwd })).stdout.trim();
  return normaliseRegistry(fallback || 'https://registry.npmjs.org/');
}

/** Every registry npm is configured with: the default one and each `@scope:registry`. */
export async function configuredRegistries(cwd?: string): Promise<string[]> {
  const result = await runNpm(['config', 'list', '--json'], { cwd });
  const out = new Set<string>();
  try {
    const config = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const [key, value] of Object.entries(config)) {
      if ((key === 'registry' || /^@[^:]+:registry$/.test(key)) && typeof value === 'string' && value) out.add(normaliseRegistry(value));
    }
  } catch {
    // fall through to the default below
  }
  if (out.size === 0) out.add('https://registry.npmjs.org/');
  return [...out];
}

/**
 * `npm view <spec> --json`: the package's metadata for the matching version (including its `mage-int`
 * block), or undefined when the registry does not have it.
 */
export async function npmView(
  spec: string,
  packageName: string,
  registry: string | undefined,
  cwd?: string,
): Promise<Record<string, unknown> | undefined> {
  const result = await runNpm(['view', spec, '--json', ...registryArgs(packageName, registry)], { cwd });
  if (result.code !== 0) {
    if (npmErrorCode(result.stderr) === 'E404' || /404|not found/i.test(result.stderr)) return undefined;
    npmFailure(`looking up ${spec}`, result, 'check the registry URL (--registry, MAGE_INT_REGISTRY or npm config) and your network');
  }
  const text = result.stdout.trim();
  if (!text) return undefined;
  const parsed = JSON.parse(text) as Record<string, unknown> | Record<string, unknown>[];
  // A range matching several versions gives a list; the last one is the highest.
  return Array.isArray(parsed) ? parsed.at(-1) : parsed;
}
