import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@mage-int/core';
import { RegistryError } from './registry-error.js';

/** Members of this group may publish and unpublish `@mage-int/*` on a registry run by `mage-int registry start`. */
export const PUBLISHER_GROUP = 'mage-int-publishers';

/** The account `mage-int registry start --seed` publishes the checkout's packages with. */
export const SEED_USER = 'mage-int-seed';

/** The htpasswd file of a registry's storage directory (verdaccio's accounts). */
export const htpasswdFile = (storage: string): string => join(resolve(storage), 'htpasswd');

/** The groups file of a registry's storage directory: `{"<group>": ["<user>", …]}`, read at each login. */
export const groupsFile = (storage: string): string => join(resolve(storage), 'groups.json');

interface HtpasswdPlugin {
  adduser(user: string, password: string, cb: (error: (Error & { status?: number }) | null, ok?: boolean) => void): void;
}

/** verdaccio's htpasswd plugin, resolved from verdaccio (its dependency) so hashes are exactly what the server checks. */
function htpasswdPlugin(storage: string): HtpasswdPlugin {
  const require = createRequire(import.meta.url);
  let HTPasswd: new (config: object, options: object) => HtpasswdPlugin;
  try {
    const verdaccioDir = dirname(require.resolve('verdaccio/package.json'));
    ({ HTPasswd } = require(require.resolve('verdaccio-htpasswd', { paths: [verdaccioDir] })) as { HTPasswd: typeof HTPasswd });
  } catch (error) {
    throw new RegistryError('VERDACCIO_MISSING', 'managing registry accounts needs the verdaccio package, which is not installed', {
      hint: 'run `npm install --save-dev verdaccio` where the registry runs',
      cause: error,
    });
  }
  const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, child: () => quiet };
  return new HTPasswd({ file: htpasswdFile(storage) }, { logger: quiet, config: { configPath: join(resolve(storage), 'config.yaml') } });
}

function checkUserName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name)) {
    throw new ConfigError('USER_NAME_INVALID', `"${name}" is not a valid account name`, {
      hint: 'letters, digits, ".", "_" and "-", starting with a letter or digit',
    });
  }
}

async function readGroups(storage: string): Promise<Record<string, string[]>> {
  try {
    return JSON.parse(await readFile(groupsFile(storage), 'utf8')) as Record<string, string[]>;
  } catch {
    return {};
  }
}

/** The groups `name` belongs to on the registry with this storage directory. */
export async function registryUserGroups(storage: string, name: string): Promise<string[]> {
  const groups = await readGroups(storage);
  return Object.keys(groups).filter((group) => groups[group]?.includes(name));
}

/**
 * Creates an account in a registry's storage directory (`mage-int registry adduser`): sign-up over the network
 * is off by default, so accounts are made by whoever can write the registry's files. `groups` adds the account
 * to groups (PUBLISHER_GROUP: may publish `@mage-int/*`); `replace` resets an existing account's password.
 * Takes effect at the account's next login, also while the registry runs.
 */
export async function addRegistryUser(
  storage: string,
  name: string,
  password: string,
  options: { groups?: readonly string[]; replace?: boolean } = {},
): Promise<void> {
  checkUserName(name);
  if (password.length < 8)
    throw new ConfigError('PASSWORD_TOO_SHORT', `the password for ${name} is shorter than 8 characters`, { hint: 'choose a longer one' });
  const file = htpasswdFile(storage);
  const existing = await readFile(file, 'utf8').catch(() => '');
  const taken = existing.split('\n').some((line) => line.startsWith(`${name}:`));
  if (taken && !options.replace) {
    throw new RegistryError('USER_EXISTS', `account ${name} already exists in ${file}`, {
      hint: 'choose another name, or pass --replace to set a new password',
    });
  }
  if (taken)
    await writeFile(
      file,
      existing
        .split('\n')
        .filter((line) => !line.startsWith(`${name}:`))
        .join('\n'),
    );
  await new Promise<void>((done, fail) =>
    htpasswdPlugin(storage).adduser(name, password, (error) =>
      error ? fail(new RegistryError('USER_NOT_CREATED', `could not create account ${name}: ${error.message}`)) : done(),
    ),
  );
  if (options.groups && options.groups.length > 0) {
    const groups = await readGroups(storage);
    for (const group of options.groups) groups[group] = [...new Set([...(groups[group] ?? []), name])].sort();
    await writeFile(groupsFile(storage), JSON.stringify(groups, null, 2) + '\n');
  }
}

async function userRequest(registry: string, name: string, password: string, basicAuth: boolean): Promise<string> {
  const url = new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, registry.endsWith('/') ? registry : `${registry}/`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (basicAuth) headers['authorization'] = `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
  const response = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ name, password }) });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) {
    const reason = body.error ?? `HTTP ${response.status}`;
    throw new RegistryError(
      basicAuth ? 'LOGIN_FAILED' : 'USER_NOT_CREATED',
      `could not ${basicAuth ? 'log in as' : 'create user'} ${name} on ${registry}: ${reason}`,
      {
        hint: /registration|disabled/i.test(reason)
          ? 'sign-up is off: create the account with `mage-int registry adduser <name>` where the registry runs'
          : undefined,
      },
    );
  }
  return body.token;
}

/** Creates an account over the network (what `npm adduser` does) and returns its token; needs sign-up on. */
export function createRegistryUser(registry: string, name: string, password: string): Promise<string> {
  return userRequest(registry, name, password, false);
}

/** Logs in to an existing account (what `npm login` does) and returns its token. */
export function loginRegistryUser(registry: string, name: string, password: string): Promise<string> {
  return userRequest(registry, name, password, true);
}
