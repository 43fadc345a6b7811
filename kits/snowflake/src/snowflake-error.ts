import { ConnectorError } from '@mage-int/core';

/**
 * Snowflake's error codes with what to change, naming the setting (docs.snowflake.com: error messages of login and
 * of SQL compilation; the driver's own codes for a session that ended).
 */
const HINTS: Record<string, string> = {
  '390100': 'the user name or password was refused: check `user` and `password` (or the key pair)',
  '390144':
    'the JWT was refused: set the public key on the user (ALTER USER … SET RSA_PUBLIC_KEY = …) and check `account`, `user` and `private_key_path` / `private_key`',
  '002003':
    'the object does not exist or the role lacks a grant: check `database` and `schema`, and grant USAGE on them to `role` (see the README)',
  '003001': 'the role lacks a privilege: grant USAGE on the warehouse, database and schema (and what the README lists) to `role`',
  '000606': 'no warehouse is in use: set `warehouse` to a warehouse that exists and grant USAGE on it to `role`',
  '390189': 'the role is not granted to the user: check `role`',
  '390201': 'check `database`, `schema` and `warehouse` exist and `role` may use them',
  '390114': 'the session expired (its master token is valid for 4 hours of idleness): run again, which logs in anew',
  '390104': 'the session ended (logged out or dropped): run again, which logs in anew',
};

/** The codes of a session that can no longer be renewed: the answer is a new login. */
export const SESSION_GONE = new Set(['390114', '390104']);

/** The code of an sdk or Snowflake error, as text (`'390100'`), if it has one. */
export function snowflakeErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: string | number } | undefined)?.code;
  return code === undefined || code === null ? undefined : String(code);
}

/** An error of the sdk or of Snowflake, with its code and what the user can do. */
export function snowflakeError(error: unknown, what: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const e = error as { message?: string };
  const code = snowflakeErrorCode(error);
  const hint = code ? HINTS[code] : undefined;
  return new ConnectorError('SNOWFLAKE_ERROR', `${what}: ${e.message ?? String(error)}${code ? ` (${code})` : ''}`, {
    cause: error,
    ...(hint ? { hint } : {}),
  });
}
