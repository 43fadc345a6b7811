import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupsFile, htpasswdFile, PUBLISHER_GROUP } from './registry-accounts.js';
import { RegistryError } from './registry-error.js';

/** The verdaccio plugins shipped with this package (the auth plugin that adds groups to htpasswd accounts). */
const PLUGINS_DIR = fileURLToPath(new URL('../verdaccio-plugins', import.meta.url));

export interface RegistryOptions {
  /** Port to listen on; 0 picks a free one. Default 4873 (verdaccio's). */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (this machine only). */
  host?: string;
  /** Directory for packages and the htpasswd file; keep it out of git. */
  storage: string;
  /** Whether `npm adduser` may create accounts over the network (default false: `mage-int registry adduser` makes them). */
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
 * public registry), anyone may read, only logged-in users (htpasswd) may publish or unpublish, and only the
 * first-party publisher group may publish `@mage-int/*`. Sign-up over the network is off unless asked for.
 */
export function verdaccioConfig(
  options: Required<Pick<RegistryOptions, 'storage'>> & Pick<RegistryOptions, 'allowSignup' | 'logLevel'>,
): Record<string, unknown> {
  const storage = resolve(options.storage);
  const rules = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
  const firstParty = { access: '$all', publish: PUBLISHER_GROUP, unpublish: PUBLISHER_GROUP };
  return {
    self_path: join(storage, 'config.yaml'),
    storage: join(storage, 'packages'),
    plugins: PLUGINS_DIR,
    auth: {
      'mage-int-auth': {
        file: htpasswdFile(storage),
        groups_file: groupsFile(storage),
        slow_verify_ms: 5000,
        max_users: options.allowSignup === true ? 1000 : -1,
      },
    },
    uplinks: {},
    packages: { '@mage-int/*': firstParty, '@*/*': rules, '**': rules },
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
  const server = (await runServer(
    verdaccioConfig({ storage, allowSignup: options.allowSignup, logLevel: options.logLevel }) as never,
  )) as Server;
  // verdaccio falls back to its own htpasswd with sign-up open when a configured auth plugin fails to load: refuse to run then.
  const guarded = (globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('@mage-int/registry:auth-plugin')];
  if (!guarded?.has(groupsFile(storage))) {
    server.close();
    throw new RegistryError('AUTH_PLUGIN_MISSING', `verdaccio did not load mage-int's auth plugin from ${PLUGINS_DIR}`, {
      hint: 'reinstall @mage-int/registry (its verdaccio-plugins/ folder is missing or broken); the registry was not started',
    });
  }
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new RegistryError('PORT_IN_USE', `port ${options.port ?? 4873} on ${host} is already in use`, {
              hint: 'pick another with --port (0 = any free port)',
            })
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
