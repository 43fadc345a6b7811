import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  clearBookmarks,
  ConfigError,
  createLogger,
  emptyState,
  findInstalledConnectors,
  loadConnector,
  MageError,
  redact,
  RunRecordStore,
  runsDirFor,
  stateStoreFor,
  validatedDestination,
  validatedSource,
  type Catalog,
  type ConnectorKind,
  type Destination,
  type DiscoverProgress,
  type JsonSchema,
  type PipelineConfig,
  type RunRecord,
  type Source,
  type ValidatedEnd,
} from '@mage-int/core';
import {
  configToWrite,
  maskedConfig,
  newPipelineDocument,
  rawConfig,
  secretKeys,
  updatePipelineDocument,
  type PipelineDraft,
} from './pipeline-document.js';
import { checkPipelineName, type Project } from './project.js';
import { mergedRecord, type ExecutorRuns } from './executor-runs.js';
import type { RunManager } from './run-manager.js';
import { catalogChanges, streamRows, writeStreamChoices, type StreamChoice } from './stream-table.js';

/** An answer of the JSON API. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** An error as the browser shows it: next to `field` when it names one. */
export interface ApiError {
  message: string;
  code?: string;
  hint?: string;
  field?: string;
  stream?: string;
}

export function apiError(error: unknown, secrets: readonly string[] = []): ApiError {
  const m = error instanceof MageError ? error : undefined;
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  return {
    message,
    ...(m?.code ? { code: m.code } : {}),
    ...(m?.hint ? { hint: redact(m.hint, secrets) } : {}),
    ...(m?.field ? { field: m.field } : {}),
    ...(m?.stream ? { stream: m.stream } : {}),
  };
}

interface ConnectorInfo {
  kind: ConnectorKind;
  name: string;
  packageName: string;
  description?: string;
  spec: JsonSchema;
  secrets: string[];
}

/** The JSON API over one project. Route handlers take parsed input and return JSON; the server does HTTP. */
export class Api {
  private connectors?: Promise<ConnectorInfo[]>;

  constructor(
    readonly project: Project,
    readonly runs: RunManager,
    /** Runs on an executor's workers, when the UI was started with one. */
    readonly executorRuns?: ExecutorRuns,
  ) {}

  /**
   * A pipeline's runs, newest first: the run-record store (runs of this UI, of `mage-int run`, and of the workers) merged
   * with the executor's runs of the pipeline, whose live status wins until they end.
   */
  private async runRecords(config: PipelineConfig, file: string): Promise<RunRecord[]> {
    const store = new RunRecordStore(runsDirFor(config));
    const kept = await store.list(config.id);
    if (!this.executorRuns) return kept;
    const remote = await this.executorRuns.list(file, config.id, store).catch(() => []);
    const byId = new Map(kept.map((r) => [r.id, r]));
    for (const record of remote) byId.set(record.id, record);
    return [...byId.values()].sort((a, b) => (b.submittedAt ?? 0) - (a.submittedAt ?? 0));
  }

  /** The run of a pipeline going on now: one this UI runs, else one on the workers. */
  private async runningOf(config: PipelineConfig, file: string, records?: RunRecord[]): Promise<RunRecord | undefined> {
    const local = this.runs.activeFor(config.id)?.record;
    if (local || !this.executorRuns) return local;
    return (records ?? (await this.runRecords(config, file))).find((r) => ['waiting', 'running', 'cancelling'].includes(r.status));
  }

  /** A run by id, for the run page: this UI's, else the executor's. */
  async runRecord(runId: string): Promise<RunRecord | undefined> {
    const local = this.runs.get(runId)?.record;
    if (local || !this.executorRuns) return local;
    const info = await this.executorRuns.executor.run(runId);
    if (!info) return undefined;
    const config = info.pipelineId ? await this.configById(info.pipelineId) : undefined;
    const kept = config ? await new RunRecordStore(runsDirFor(config)).get(config.id, runId).catch(() => undefined) : undefined;
    return mergedRecord(info, info.pipelineId ?? '', kept);
  }

  /** The config of the project's pipeline with this id. */
  private async configById(pipelineId: string): Promise<PipelineConfig | undefined> {
    for (const name of await this.project.names()) {
      const config = await this.project.configOf(name).then(
        (c) => c.config,
        () => undefined,
      );
      if (config?.id === pipelineId) return config;
    }
    return undefined;
  }

  /** Installed connectors with their specs (loaded once per server start). */
  listConnectors(): Promise<ConnectorInfo[]> {
    this.connectors ??= (async () => {
      const out: ConnectorInfo[] = [];
      for (const installed of await findInstalledConnectors(this.project.pipelinesDir)) {
        try {
          // spec.json beside package.json is the spec (CONVENTIONS.md); reading it spares importing every connector.
          const spec = await readFile(join(installed.directory, 'spec.json'), 'utf8')
            .then((text) => JSON.parse(text) as JsonSchema)
            .catch(async () => (await loadConnector(installed, installed.manifest.type)).spec);
          out.push({
            kind: installed.manifest.type,
            name: installed.manifest.name,
            packageName: installed.packageName,
            description: installed.description,
            spec,
            secrets: [...secretKeys(spec)],
          });
        } catch {
          // A package that does not load is left out of the pickers; `mage-int list` names it.
        }
      }
      return out;
    })();
    return this.connectors;
  }

  private async spec(kind: ConnectorKind, name: string): Promise<JsonSchema> {
    const found = (await this.listConnectors()).find((c) => c.kind === kind && c.name === name);
    if (!found)
      throw new ConfigError('CONNECTOR_NOT_INSTALLED', `no ${kind} connector "${name}" is installed`, {
        field: `${kind}.name`,
        hint: `mage-int add ${kind}-${name}`,
      });
    return found.spec;
  }

  async listPipelines(): Promise<unknown[]> {
    const out = [];
    for (const name of await this.project.names()) {
      try {
        const doc = await this.project.readDocument(name);
        const id = typeof doc.get('id') === 'string' ? (doc.get('id') as string) : name;
        const { config } = await this.project.configOf(name).catch(() => ({ config: undefined }));
        const records = config ? await this.runRecords(config, this.project.fileOf(name)) : [];
        const last = records[0];
        out.push({
          name,
          id,
          source: doc.getIn(['source', 'name']) ?? doc.getIn(['source', 'package']) ?? doc.getIn(['source', 'command']),
          destination: doc.getIn(['destination', 'name']) ?? doc.getIn(['destination', 'package']) ?? doc.getIn(['destination', 'command']),
          running: config ? (await this.runningOf(config, this.project.fileOf(name), records))?.id : undefined,
          lastRun: last && {
            id: last.id,
            status: last.status,
            rows: last.rows,
            startedAt: last.startedAt,
            elapsedMs: last.finishedAt !== undefined && last.startedAt !== undefined ? last.finishedAt - last.startedAt : undefined,
          },
        });
      } catch (error) {
        out.push({ name, error: apiError(error) });
      }
    }
    return out;
  }

  async getPipeline(name: string): Promise<unknown> {
    const doc = await this.project.readDocument(name);
    const end = async (kind: 'source' | 'destination') => {
      const connector = String(doc.getIn([kind, 'name']) ?? '');
      const raw = rawConfig(doc, kind);
      const spec = await this.spec(kind, connector).catch(() => undefined);
      return { name: connector, config: spec ? maskedConfig(spec, raw) : {} };
    };
    const { config } = await this.project.configOf(name).catch(() => ({ config: undefined }));
    return {
      name,
      id: config?.id ?? name,
      source: await end('source'),
      destination: await end('destination'),
      running: config ? (await this.runningOf(config, this.project.fileOf(name)))?.id : undefined,
      executor: this.executorRuns !== undefined,
    };
  }

  /** The document a draft makes, secrets moved to the secrets file; not written. */
  private async documentFor(name: string, draft: PipelineDraft, existing: boolean, storeSecrets = true) {
    const doc = existing ? await this.project.readDocument(name) : undefined;
    const resolved: PipelineDraft = { source: { ...draft.source }, destination: { ...draft.destination } };
    for (const kind of ['source', 'destination'] as const) {
      if (!draft[kind]?.name) throw new ConfigError('CONNECTOR_MISSING', `pick a ${kind}`, { field: `${kind}.name` });
      const spec = await this.spec(kind, draft[kind].name);
      const previous = doc && doc.getIn([kind, 'name']) === draft[kind].name ? rawConfig(doc, kind) : {};
      resolved[kind] = {
        name: draft[kind].name,
        config: await configToWrite(this.project, name, kind, spec, draft[kind].config ?? {}, previous, storeSecrets),
      };
    }
    if (doc) {
      updatePipelineDocument(doc, resolved);
      return doc;
    }
    return newPipelineDocument(resolved);
  }

  async savePipeline(name: string, draft: PipelineDraft, create: boolean): Promise<unknown> {
    checkPipelineName(name);
    if (create && this.project.exists(name))
      throw new ConfigError('PIPELINE_EXISTS', `pipeline ${name} already exists`, { field: 'name', hint: 'pick another name' });
    const doc = await this.documentFor(name, draft, !create);
    await this.project.configOf(name, doc.toJS());
    await this.project.writeDocument(name, doc);
    return this.getPipeline(name);
  }

  /** A real copy: the file as written (comments and all) under a new name, with no state or history. */
  async duplicatePipeline(name: string, to: string): Promise<unknown> {
    checkPipelineName(to);
    if (this.project.exists(to))
      throw new ConfigError('PIPELINE_EXISTS', `pipeline ${to} already exists`, { field: 'name', hint: 'pick another name' });
    const doc = await this.project.readDocument(name);
    if (doc.has('id')) doc.set('id', to);
    await this.project.writeDocument(to, doc);
    return this.getPipeline(to);
  }

  async deletePipeline(name: string): Promise<unknown> {
    await this.project.readDocument(name);
    await this.project.remove(name);
    return { deleted: name };
  }

  /** `check` on both ends of a draft (or the saved file): each end's result with the field it names. */
  async check(name: string, draft: PipelineDraft | undefined): Promise<unknown> {
    // A secret typed for the test is used, not stored: saving stores it.
    const doc = draft ? await this.documentFor(name, draft, this.project.exists(name), false) : await this.project.readDocument(name);
    let config: PipelineConfig;
    try {
      ({ config } = await this.project.configOf(name, doc.toJS()));
    } catch (error) {
      return { ok: false, error: apiError(error) };
    }
    const results: Record<string, unknown> = {};
    for (const kind of ['source', 'destination'] as const) {
      let secrets: string[] = [];
      try {
        const end: ValidatedEnd<Source<never> | Destination<never>> =
          kind === 'source' ? await validatedSource(config) : await validatedDestination(config);
        secrets = end.secrets;
        const result = await end.connector.check(end.config as never, {
          logger: createLogger({ level: 'error', secrets, write: () => {} }),
          signal: AbortSignal.timeout(60_000),
          pipelineId: config.id,
        });
        results[kind] = result.ok
          ? { ok: true, ...(result.message ? { message: redact(result.message, secrets) } : {}) }
          : {
              ok: false,
              error:
                result.error !== undefined
                  ? apiError(result.error, secrets)
                  : { message: redact(result.message ?? 'check failed', secrets) },
            };
      } catch (error) {
        results[kind] = { ok: false, error: apiError(error, secrets) };
      }
    }
    return { ok: Object.values(results).every((r) => (r as { ok: boolean }).ok), ...results };
  }

  private catalogFile(config: PipelineConfig): string {
    return join(dirname(runsDirFor(config)), 'catalog', `${config.id}.json`);
  }

  private async savedCatalog(config: PipelineConfig): Promise<Catalog | undefined> {
    try {
      return JSON.parse(await readFile(this.catalogFile(config), 'utf8')) as Catalog;
    } catch {
      return undefined;
    }
  }

  /** The streams table from the last discovery (none yet: `discovered: false`). */
  async streams(name: string): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    const catalog = await this.savedCatalog(config);
    return catalog ? { discovered: true, streams: streamRows(catalog, config) } : { discovered: false, streams: [] };
  }

  /** Discovers the source again (its progress to `onProgress`); what changed since the last discovery; the file's choices are kept. */
  async discover(name: string, onProgress?: (progress: DiscoverProgress) => void): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    const { connector: source, config: validated, secrets } = await validatedSource(config);
    try {
      const catalog = await source.discover(validated as never, {
        logger: createLogger({ level: 'error', secrets, write: () => {} }),
        signal: AbortSignal.timeout(300_000),
        pipelineId: config.id,
        ...(onProgress ? { onProgress } : {}),
      });
      const before = await this.savedCatalog(config);
      const file = this.catalogFile(config);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(catalog));
      return { discovered: true, streams: streamRows(catalog, config), changes: catalogChanges(before, catalog) };
    } catch (error) {
      throw Object.assign(new MageError('DISCOVER_FAILED', apiError(error, secrets).message), { hint: apiError(error, secrets).hint });
    }
  }

  async saveStreams(name: string, choices: Record<string, StreamChoice>): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    const catalog = await this.savedCatalog(config);
    if (!catalog) throw new ConfigError('NOT_DISCOVERED', `discover ${name}'s source first`, { hint: 'press Discover' });
    const doc = await this.project.readDocument(name);
    writeStreamChoices(doc, catalog, config, choices);
    const { config: updated } = await this.project.configOf(name, doc.toJS());
    await this.project.writeDocument(name, doc);
    return { discovered: true, streams: streamRows(catalog, updated) };
  }

  /** Starts a run here, or submits it to the executor's workers (`onWorkers`, when the UI has an executor). */
  async startRun(name: string, options: { only?: string[]; fullRefresh?: boolean; onWorkers?: boolean }): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    const file = this.project.fileOf(name);
    if (options.onWorkers) {
      if (!this.executorRuns)
        throw new ConfigError('NO_EXECUTOR', 'this UI has no executor to submit runs to', {
          hint: 'start it with `mage-int ui --executor bullmq`',
        });
      const running = await this.runningOf(config, file);
      if (running)
        throw new MageError('RUN_ACTIVE', `pipeline ${name} is already running (${running.id})`, {
          hint: 'wait for it to finish or cancel it',
        });
      const { id } = await this.executorRuns.submit(file, options);
      return { runId: id, onWorkers: true };
    }
    if (this.executorRuns && (await this.runningOf(config, file)))
      throw new MageError('RUN_ACTIVE', `pipeline ${name} is already running on the workers`, {
        hint: 'wait for it to finish or cancel it',
      });
    const run = await this.runs.start(file, config, options);
    return { runId: run.record.id };
  }

  async history(name: string): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    return this.runRecords(config, this.project.fileOf(name));
  }

  async state(name: string): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    const store = stateStoreFor(config);
    return { location: store.describe(config.id), state: (await store.load(config.id)) ?? emptyState() };
  }

  /** Forgets one stream's bookmark: its next run starts from the beginning. */
  async resetStream(name: string, stream: string): Promise<unknown> {
    const { config } = await this.project.configOf(name);
    if (await this.runningOf(config, this.project.fileOf(name)))
      throw new MageError('RUN_ACTIVE', `pipeline ${name} is running`, { hint: 'reset its state once the run ended' });
    const store = stateStoreFor(config);
    const state = (await store.load(config.id)) ?? emptyState();
    await store.save(config.id, clearBookmarks(state, [stream]));
    return this.state(name);
  }
}
