import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUi, type UiOptions, type UiServer } from '../src/index.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where tests write what a person would look at (screenshots). */
export const OUTPUT_DIR = join(PACKAGE_DIR, 'test-output');

export interface CallInit {
  method?: string;
  body?: unknown;
  /** null: send no token. */
  token?: string | null;
}

export type ApiCall = <T = Record<string, unknown>>(path: string, init?: CallInit) => Promise<{ status: number; body: T }>;

/**
 * A UI over a fresh project inside the package (test/.tmp/), so its pipelines resolve connectors through the
 * workspace's node_modules exactly as a user's project resolves its installed ones.
 */
export async function startProjectUi(
  prefix: string,
  options: Omit<UiOptions, 'projectDir'> = {},
): Promise<{ dir: string; ui: UiServer; call: ApiCall; stop(): Promise<void> }> {
  const base = join(PACKAGE_DIR, 'test', '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${prefix}-`));
  const ui = await startUi({ ...options, projectDir: dir });
  const call: ApiCall = async <T>(path: string, init: CallInit = {}) => {
    const token = init.token === undefined ? ui.token : init.token;
    const response = await fetch(`http://127.0.0.1:${ui.port}/api/${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(token === null ? {} : { 'x-mage-int-token': token }), 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return {
    dir,
    ui,
    call,
    stop: async () => {
      await ui.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
