import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { RegistryError } from './registry-error.js';

export interface RegistryOptions {
  /** Port to listen on; 0 picks a free one. Default 4873 (verdaccio's). */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (this machine only). */
  host?: string;
  /** Directory for packages and the htpasswd file; keep it out of git. */
  storage: string;
  /** Whether `npm adduser` may create accounts (default true); false once the team's accounts exist. */
  allowSignup?: boolean;
  /** verdaccio's log level (default `warn`). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'http' | 'debug' | 'trace';
}

export interface RunningRegistry {
  url: string;
  port: number;
  storage: string;
  close(): Promise<void>;
}

/**
 * The verdaccio configuration mage-int runs: offline (no uplinks, so nothing is fetched from or shadowed by a
 * public registry), anyone may read, only logged-in users (htpasswd) may publish or unpublish.
 */
export function verdaccioConfig(options: Required<Pick<RegistryOptions, 'storage'>> & Pick<RegistryOptions, 'allowSignup' | 'logLevel'>): Record<string, unknown> {
  const storage = resolve(options.storage);
  const rules = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
  return {
    self_path: join(storage, 'config.yaml'),
    storage: join(storage, 'packages'),
    auth: { htpasswd: { file: join(storage, 'htpasswd'), max_users: options.allowSignup === false ? -1 : 1000 } },
    uplinks: {},
    packages: { '@*/*': rules, '**': rules },
    // JWT tokens: checked by signature, so requests do not re-verify the password hash each time.
    security: { api: { legacy: false, jwt: { sign: { expiresIn: '30d' } } }, web: { sign: { expiresIn: '1h' } } },
    web: { enable: false },
    publish: { allow_offline: true },
    max_body_size: '200mb',
    log: { type: 'stdout', format: 'pretty', level: options.logLevel ?? 'warn' },
  };
}

/**
 * verdaccio is an optional peer dependency: only people who host a registry need its ~65 MB, so installing the
 * CLI does not pull it in. Imported on first use, with the install command when it is missing.
 */
async function loadVerdaccio(): Promise<(config: never) => Promise<unknown>> {
  try {
    const verdaccio = (await import('verdaccio')) as { runServer: (config: never) => Promise<unknown> };
    return verdaccio.runServer;
  } catch (error) {
    throw new RegistryError('VERDACCIO_MISSING', 'the registry server needs the verdaccio package, which is not installed', {
      hint: 'run `npm install --save-dev verdaccio` in your project, then `mage-int registry start` again',
      cause: error,
    });
  }
}

/** Starts verdaccio in this process (`mage-int registry start`). Resolves once it listens. */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const runServer = await loadVerdaccio();
  const storage = resolve(options.storage);
  await mkdir(join(storage, 'packages'), { recursive: true });
  const server = (await runServer(verdaccioConfig({ storage, allowSignup: options.allowSignup, logLevel: options.logLevel }) as never)) as Server;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new RegistryError('PORT_IN_USE', `port ${options.port ?? 4873} on ${host} is already in use`, { hint: 'pick another with --port (0 = any free port)' })
          : error,
      ),
    );
    server.listen(options.port ?? 4873, host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    storage,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections?.();
      }),
  };
}

/** Creates an account on a registry (what `npm adduser` does) and returns its auth token. */
export async function createRegistryUser(registry: string, name: string, password: string): Promise<string> {
  const url = new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, registry.endsWith('/') ? registry : `${registry}/`);
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new RegistryError('USER_NOT_CREATED', `could not create user ${name} on ${registry}: ${body.error ?? `HTTP ${response.status}`}`);
  return body.token;
}
