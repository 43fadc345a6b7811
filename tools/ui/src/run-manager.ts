import { hostname } from 'node:os';
import {
  createLogger,
  formatError,
  MageError,
  newRunId,
  pipeline,
  pipelineFromConfig,
  redact,
  RunRecordStore,
  runsDirFor,
  secretValues,
  type DiscoverProgress,
  type PipelineConfig,
  type RunLogLine,
  type RunProgress,
  type RunRecord,
  type State,
  type StreamPhase,
  type StateStore,
  type InterpolatedValue,
} from '@mage-int/core';

/** A stream's live numbers, as the run page shows them. */
export interface LiveStream {
  stream: string;
  rows: number;
  rowsPerSecond: number;
  elapsedMs: number;
  /** Coarse: queued, running (any phase in between), done, failed or stopped. */
  status: 'queued' | 'running' | 'done' | 'failed' | 'stopped';
  /** Where the stream is (the runner's StreamPhase): queued, reading, snapshot, waiting-for-commit, streaming, done… */
  phase: StreamPhase;
  /** When it entered `phase` (ms since the epoch). */
  phaseSince: number;
  /** The phases so far, with when each began. */
  phases: { phase: StreamPhase; at: number }[];
  /** The stream's bookmark in the last state the destination committed. */
  committed?: unknown;
}

export type RunEvent =
  | { type: 'progress'; streams: LiveStream[]; committedStates: number }
  | { type: 'discover'; progress: DiscoverProgress }
  | { type: 'log'; line: RunLogLine }
  | { type: 'end'; record: RunRecord };

const LOG_LINES = 500;

/** One run the UI started, with its listeners. */
export class ActiveRun {
  readonly controller = new AbortController();
  readonly listeners = new Set<(event: RunEvent) => void>();
  readonly log: RunLogLine[] = [];
  streams: LiveStream[] = [];
  committedStates = 0;
  /** How far the run's discovery got (a run discovers before it reads). */
  discover?: DiscoverProgress;
  finished?: Promise<RunRecord>;
  /** Each stream's phases so far. */
  private readonly timelines = new Map<string, { phase: StreamPhase; at: number }[]>();
  constructor(
    readonly record: RunRecord,
    readonly store: RunRecordStore,
  ) {}

  emit(event: RunEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The streams' numbers from the runner's progress: its phases (every selected stream) and record counts. */
  update(progress: RunProgress, committed: State | undefined, finishedAt?: number): LiveStream[] {
    const phases = progress.phases ?? {};
    const names = [...new Set([...Object.keys(phases), ...Object.keys(progress.streams)])];
    this.streams = names.map((name): LiveStream => {
      const counts = progress.streams[name];
      const info = phases[name];
      const phase: StreamPhase = info?.phase ?? (finishedAt !== undefined ? 'done' : 'reading');
      const since = info?.since ?? counts?.startedAt ?? Date.now();
      const timeline = this.timelines.get(name) ?? [];
      if (timeline.at(-1)?.phase !== phase) timeline.push({ phase, at: since });
      this.timelines.set(name, timeline);
      const ended = phase === 'done' || phase === 'failed' || phase === 'stopped';
      // From its first read to the end of its last phase (its commit included), or to now while it runs.
      const began = timeline.find((p) => p.phase !== 'queued')?.at ?? counts?.startedAt;
      const endedAt = ended ? since : (finishedAt ?? Date.now());
      const elapsedMs = began !== undefined ? Math.max(0, endedAt - began) : 0;
      const rows = counts?.records ?? 0;
      return {
        stream: name,
        rows,
        rowsPerSecond: elapsedMs > 0 ? Math.round(rows / (elapsedMs / 1000)) : 0,
        elapsedMs,
        status: phase === 'queued' || phase === 'done' || phase === 'failed' || phase === 'stopped' ? phase : 'running',
        phase,
        phaseSince: since,
        phases: [...timeline],
        committed: committed?.bookmarks?.[info?.tapStreamId ?? name],
      };
    });
    return this.streams;
  }
}

/** Starts runs in this process and keeps the ones going, one per pipeline at a time. */
export class RunManager {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly byPipeline = new Map<string, ActiveRun>();

  get(runId: string): ActiveRun | undefined {
    return this.runs.get(runId);
  }

  activeFor(pipelineId: string): ActiveRun | undefined {
    return this.byPipeline.get(pipelineId);
  }

  /** Starts a run of a loaded pipeline; resolves once it has started (connectors loaded), not when it ends. */
  async start(file: string, config: PipelineConfig, options: { only?: string[]; fullRefresh?: boolean } = {}): Promise<ActiveRun> {
    if (this.byPipeline.has(config.id)) {
      throw new MageError('RUN_ACTIVE', `pipeline ${config.id} is already running`, { hint: 'wait for it to finish or cancel it' });
    }
    const built = await pipelineFromConfig(config);
    const { definition } = built;
    const secrets = [
      ...secretValues(
        definition.source.connector.spec,
        definition.source.config,
        config.source.interpolated as InterpolatedValue[] | undefined,
      ),
      ...secretValues(
        definition.destination.connector.spec,
        definition.destination.config,
        config.destination.interpolated as InterpolatedValue[] | undefined,
      ),
    ];
    const store = new RunRecordStore(runsDirFor(config));
    const now = Date.now();
    const record: RunRecord = {
      id: newRunId(new Date(now)),
      pipeline: file,
      pipelineId: config.id,
      status: 'running',
      rows: 0,
      submittedAt: now,
      startedAt: now,
      tasks: [{ streams: options.only ?? [], status: 'running', rows: 0, attempts: 1, worker: `${hostname()}:${process.pid}` }],
      ...(options.only && options.only.length > 0 ? { only: options.only } : {}),
      ...(options.fullRefresh ? { fullRefresh: true } : {}),
      streams: [],
      committedStates: 0,
    };
    const run = new ActiveRun(record, store);
    await store.save(record);
    this.runs.set(record.id, run);
    this.byPipeline.set(config.id, run);

    // The state store tells the page each stream's last committed bookmark as the destination commits.
    const inner = definition.stateStore as StateStore;
    let committed: State | undefined;
    let latest: RunProgress | undefined;
    const stateStore: StateStore = {
      load: (id) => inner.load(id),
      clear: (id) => inner.clear(id),
      describe: (id) => inner.describe(id),
      ...(inner.lock ? { lock: (id: string) => inner.lock!(id) } : {}),
      save: async (id: string, state: State) => {
        await inner.save(id, state);
        committed = structuredClone(state);
      },
    };
    const logger = createLogger({
      level: 'info',
      json: true,
      secrets,
      write: (text) => {
        let line: RunLogLine;
        try {
          const parsed = JSON.parse(text) as { level?: string; time?: string; name?: string; message?: string };
          line = {
            time: parsed.time ?? new Date().toISOString(),
            level: parsed.level ?? 'info',
            message: `${parsed.name ? `${parsed.name}: ` : ''}${parsed.message ?? text}`,
          };
        } catch {
          line = { time: new Date().toISOString(), level: 'info', message: text };
        }
        run.log.push(line);
        if (run.log.length > LOG_LINES) run.log.shift();
        run.emit({ type: 'log', line });
      },
    });
    const runnable = pipeline({ ...definition, stateStore });
    const finish = async (status: RunRecord['status'], error?: unknown): Promise<RunRecord> => {
      const now = Date.now();
      run.streams = latest ? run.update(latest, committed, now) : [];
      record.status = status;
      record.finishedAt = now;
      record.streams = run.streams.map((s) => ({
        stream: s.stream,
        rows: s.rows,
        elapsedMs: s.elapsedMs,
        phase: s.phase,
        phases: s.phases,
      }));
      record.rows = run.streams.reduce((sum, s) => sum + s.rows, 0);
      record.committedStates = latest?.committedStates ?? 0;
      record.tasks = record.tasks.map((t) => ({ ...t, streams: record.streams.map((s) => s.stream), status, rows: record.rows }));
      if (error !== undefined && status === 'failed') {
        const m = error instanceof MageError ? error : undefined;
        record.error = redact(error instanceof Error ? error.message : String(error), secrets);
        record.errorDetail = {
          ...(m?.code ? { code: m.code } : {}),
          ...(m?.hint ? { hint: redact(m.hint, secrets) } : {}),
          ...(m?.stream ? { stream: m.stream } : {}),
          ...(m?.field ? { field: m.field } : {}),
        };
        record.tasks = record.tasks.map((t) => ({ ...t, error: record.error }));
        logger.error(formatError(error));
      }
      record.log = run.log.slice(-200);
      await store.save(record);
      this.byPipeline.delete(config.id);
      run.emit({ type: 'progress', streams: run.streams, committedStates: record.committedStates });
      run.emit({ type: 'end', record });
      return record;
    };
    run.finished = runnable
      .run({
        only: options.only,
        fullRefresh: options.fullRefresh,
        logger,
        signal: run.controller.signal,
        onProgress: (progress) => {
          latest = progress;
          run.committedStates = progress.committedStates;
          record.rows = Object.values(progress.streams).reduce((sum, s) => sum + s.records, 0);
          run.emit({ type: 'progress', streams: run.update(progress, committed), committedStates: progress.committedStates });
        },
        onDiscoverProgress: (progress) => {
          run.discover = progress;
          run.emit({ type: 'discover', progress });
        },
      })
      .then(
        (summary) => {
          latest = summary;
          return finish('completed');
        },
        (error: unknown) => finish(run.controller.signal.aborted ? 'cancelled' : 'failed', error),
      );
    return run;
  }

  /** Cancels every run (server shutdown) and waits for their records. */
  async stopAll(): Promise<void> {
    const active = [...this.byPipeline.values()];
    for (const run of active) run.controller.abort();
    await Promise.all(active.map((r) => r.finished));
  }
}
