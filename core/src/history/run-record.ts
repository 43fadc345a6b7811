import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { RunInfo } from '../executor/executor.js';
import type { PipelineConfig } from '../pipeline/pipeline-config.js';
import type { StreamPhase } from '../runner/stream-phases.js';

/** One stream of a run: what it moved, and the phases it went through. */
export interface RunStreamRecord {
  stream: string;
  rows: number;
  elapsedMs: number;
  /** Its last phase: done, failed, stopped (see StreamPhase). */
  phase?: StreamPhase;
  /** Each phase it entered, with when (ms since the epoch). */
  phases?: { phase: StreamPhase; at: number }[];
}

/** A log line of a run, as the UI and `runs` show it. */
export interface RunLogLine {
  time: string;
  level: string;
  message: string;
}

/**
 * What is kept of one run, as `<runs dir>/<pipeline id>/<run id>.json` beside the pipeline's state: an executor's
 * `RunInfo` (the same shape `mage-int runs` shows) plus what a history page needs — rows per stream, where the error
 * happened, the end of the log — without a database.
 */
export interface RunRecord extends RunInfo {
  pipelineId: string;
  /** Streams the run was limited to, and whether their bookmarks were ignored. */
  only?: string[];
  fullRefresh?: boolean;
  streams: RunStreamRecord[];
  committedStates: number;
  /** About `error` (the message, redacted): its code, hint and the stream and field it names. */
  errorDetail?: { code?: string; hint?: string; stream?: string; field?: string };
  /** The last lines of the run's log (redacted). */
  log?: RunLogLine[];
  /** Where it ran: in the process that started it (the UI, `mage-int run`), or on BullMQ workers. */
  executor?: 'in-process' | 'bullmq';
}

/** A new run id: sortable by start time, unique within a pipeline. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Where a pipeline's run records live: `runs/` beside its state directory (`.mage-int/runs` by default). */
export function runsDirFor(config: PipelineConfig): string {
  const statePath = config.state?.path ?? '.mage-int/state';
  return join(dirname(isAbsolute(statePath) ? statePath : join(config.baseDir, statePath)), 'runs');
}

function checkName(name: string, what: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`${what} "${name}" may only hold letters, digits, ".", "_" and "-"`);
}

/** Run records of pipelines, one JSON file per run, replaced atomically. */
export class RunRecordStore {
  constructor(readonly directory: string) {}

  pathOf(pipelineId: string, runId: string): string {
    checkName(pipelineId, 'pipeline id');
    checkName(runId, 'run id');
    return join(this.directory, pipelineId, `${runId}.json`);
  }

  async save(record: RunRecord): Promise<void> {
    const path = this.pathOf(record.pipelineId, record.id);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(record, null, 2) + '\n');
    await rename(temp, path);
  }

  async get(pipelineId: string, runId: string): Promise<RunRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.pathOf(pipelineId, runId), 'utf8')) as RunRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** A pipeline's runs, newest first. */
  async list(pipelineId: string): Promise<RunRecord[]> {
    checkName(pipelineId, 'pipeline id');
    let names: string[];
    try {
      names = await readdir(join(this.directory, pipelineId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const ids = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .sort()
      .reverse();
    const records = await Promise.all(ids.map((id) => this.get(pipelineId, id)));
    return records.filter((r): r is RunRecord => r !== undefined);
  }
}
