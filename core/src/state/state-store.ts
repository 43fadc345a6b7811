import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import { acquireStateLock, type StateLock } from './state-lock.js';
import { toState, type State } from './state.js';

/** Where the runner keeps each pipeline's state between runs. */
export interface StateStore {
  load(pipelineId: string): Promise<State | undefined>;
  /** Must be durable when it resolves: the source is told to release data right after. */
  save(pipelineId: string, state: State): Promise<void>;
  clear(pipelineId: string): Promise<void>;
  /** Where the state lives, for people (`file:///…/orders.json`). */
  describe(pipelineId: string): string;
  /**
   * Takes the pipeline's lock for the length of a run (the runner calls it before anything else), so a second run of
   * the same pipeline stops at once instead of interleaving states. Optional: stores without it do not lock.
   */
  lock?(pipelineId: string): Promise<StateLock>;
}

function checkId(pipelineId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(pipelineId)) {
    throw new ConfigError('PIPELINE_ID_INVALID', `pipeline id "${pipelineId}" may only hold letters, digits, ".", "_" and "-"`);
  }
}

/** The default store: one JSON file per pipeline, replaced atomically (temp file, fsync, rename). */
export class FileStateStore implements StateStore {
  constructor(private readonly directory: string) {}

  pathOf(pipelineId: string): string {
    checkId(pipelineId);
    return join(this.directory, `${pipelineId}.json`);
  }

  async load(pipelineId: string): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(pipelineId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return toState(parseExactJson(text));
    } catch (error) {
      throw new ConfigError('STATE_CORRUPT', `state file ${this.pathOf(pipelineId)} is not valid JSON`, {
        cause: error,
        hint: 'fix or delete the file (`mage-int state clear`) to start over',
      });
    }
  }

  async save(pipelineId: string, state: State): Promise<void> {
    const path = this.pathOf(pipelineId);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(stringifyExactJson(state, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async clear(pipelineId: string): Promise<void> {
    await rm(this.pathOf(pipelineId), { force: true });
  }

  describe(pipelineId: string): string {
    return this.pathOf(pipelineId);
  }

  /** `<id>.lock` beside the state file: pid, host and start time of the run holding it; a dead holder's lock is taken over. */
  async lock(pipelineId: string): Promise<StateLock> {
    const path = this.pathOf(pipelineId).replace(/\.json$/, '.lock');
    await mkdir(dirname(path), { recursive: true });
    return acquireStateLock(path, pipelineId);
  }
}

/** Keeps state in memory only: for tests and one-off programmatic runs. */
export class MemoryStateStore implements StateStore {
  private readonly states = new Map<string, State>();
  async load(pipelineId: string): Promise<State | undefined> {
    const state = this.states.get(pipelineId);
    return state && structuredClone(state);
  }
  async save(pipelineId: string, state: State): Promise<void> {
    this.states.set(pipelineId, structuredClone(state));
  }
  async clear(pipelineId: string): Promise<void> {
    this.states.delete(pipelineId);
  }
  describe(pipelineId: string): string {
    return `memory:${pipelineId}`;
  }
}
