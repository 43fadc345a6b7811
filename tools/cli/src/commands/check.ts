import {
  applyStreamOverrides,
  createLogger,
  emptyState,
  formatError,
  redact,
  stateStoreFor,
  type CheckResult,
  type ConnectorContext,
  type PipelineConfig,
  type Source,
} from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { exitCodeOf } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { jsonFlag, logLevelFlag, pipelineArg } from '../flags.js';
import { onInterrupt } from '../pipeline/interrupt.js';
import { loadPipeline, resolvePipelineDestination, resolvePipelineSource, type ResolvedEnd } from '../pipeline/load-pipeline.js';
import { formatBytes, parseSize } from '../pipeline/pipeline-source.js';

/** Retained WAL of an inactive slot above which `check` warns, unless --slot-wal-limit / MAGE_INT_SLOT_WAL_LIMIT says otherwise. */
const DEFAULT_SLOT_WAL_LIMIT = '1GB';

interface EndResult {
  end: 'source' | 'destination';
  connector: string;
  ok: boolean;
  message?: string;
  warnings: string[];
  exitCode: number;
}

/**
 * What `run` would check before reading (the source's `operations.preflight`: permissions, replication settings,
 * keys), then the pipeline's log slots: an inactive one retaining more than `walLimit` bytes is a warning.
 */
async function checkSourceForRun(
  pipeline: PipelineConfig,
  source: Source<never>,
  config: never,
  ctx: ConnectorContext,
  walLimit: number,
  file: string,
): Promise<string[]> {
  const operations = source.operations;
  if (!operations?.preflight && !operations?.listSlots) return [];
  const state = (await stateStoreFor(pipeline).load(pipeline.id)) ?? emptyState();
  if (operations.preflight) {
    const catalog = applyStreamOverrides(await source.discover(config, ctx), pipeline.streams, undefined, pipeline.select);
    await operations.preflight(config, catalog, state, ctx);
  }
  const warnings: string[] = [];
  for (const slot of (await operations.listSlots?.(config, state, ctx)) ?? []) {
    if (slot.active || slot.retainedBytes === undefined || slot.retainedBytes <= walLimit) continue;
    warnings.push(
      `replication slot ${slot.name} (${slot.location}) is inactive and retains ${formatBytes(slot.retainedBytes)} of WAL (limit ${formatBytes(walLimit)}): ` +
        (slot.leftover
          ? (slot.note ?? 'drop it once no pipeline reads it')
          : `run the pipeline, or drop the slot with \`mage-int slots drop ${file}\``),
    );
  }
  return warnings;
}

export default class Check extends BaseCommand {
  static override summary = "Check that a pipeline's source and destination are reachable with their configs.";

  static override description = `Validates both connector configs against their specs, then asks each connector to connect \
(credentials, network, permissions). Both ends are checked even when one fails. A source that can (postgres) also \
checks what \`run\` needs for the selected streams — SELECT on every table; for LOG_BASED streams a key, the \
REPLICATION attribute, wal_level=logical and the publication — and fails with the message \`run\` would give. An \
inactive replication slot of the pipeline that retains more WAL than --slot-wal-limit (default 1GB) is a warning.

Exit codes: 0 both ok, 1 a connector could not connect, 2 a config, the pipeline file or a connector name is wrong.`;

  static override examples = [
    { description: 'Check both ends', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    { description: 'As JSON, for monitoring', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --json' },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = {
    json: jsonFlag,
    'log-level': logLevelFlag,
    'slot-wal-limit': Flags.string({
      description: `Warn when the pipeline's replication slot is inactive and retains more WAL than this (default: MAGE_INT_SLOT_WAL_LIMIT or ${DEFAULT_SLOT_WAL_LIMIT}).`,
      helpValue: '<size>',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Check);
    this.jsonOutput = flags.json;
    const walLimit = parseSize(
      flags['slot-wal-limit'] ?? process.env['MAGE_INT_SLOT_WAL_LIMIT'] ?? DEFAULT_SLOT_WAL_LIMIT,
      'slot WAL limit',
    );
    const config = await loadPipeline(args.pipeline);
    const interrupt = onInterrupt((message) => this.note(message));
    try {
      const results: EndResult[] = [];
      for (const end of ['source', 'destination'] as const) {
        const ref = config[end];
        const label = ref.name ?? ref.package ?? ref.command ?? '?';
        let resolved: ResolvedEnd<{ name: string; check(config: never, ctx: ConnectorContext): Promise<CheckResult> }> | undefined;
        try {
          resolved = end === 'source' ? await resolvePipelineSource(config) : await resolvePipelineDestination(config);
          this.secrets.push(...resolved.secrets);
          const logger = createLogger({ level: flags['log-level'], secrets: this.secrets }).child(`${end}-${resolved.connector.name}`);
          const ctx: ConnectorContext = { logger, signal: interrupt.signal, pipelineId: config.id };
          const result = await resolved.connector.check(resolved.config as never, ctx);
          const warnings =
            result.ok && end === 'source'
              ? await checkSourceForRun(config, resolved.connector as Source<never>, resolved.config as never, ctx, walLimit, args.pipeline)
              : [];
          results.push({
            end,
            connector: resolved.connector.name,
            ok: result.ok,
            message: result.message === undefined ? undefined : redact(result.message, this.secrets),
            warnings: warnings.map((w) => redact(w, this.secrets)),
            // The same error gives the same exit code as in `run`: a config problem found while connecting is still one.
            exitCode: result.ok ? EXIT.ok : result.error === undefined ? EXIT.failure : exitCodeOf(result.error),
          });
        } catch (error) {
          if (interrupt.interrupted) throw error;
          results.push({
            end,
            connector: resolved?.connector.name ?? label,
            ok: false,
            message: redact(formatError(error), this.secrets),
            warnings: [],
            exitCode: exitCodeOf(error),
          });
        }
      }
      if (flags.json) {
        this.out(
          JSON.stringify({
            status: results.every((r) => r.ok) ? 'ok' : 'failed',
            checks: results.map(({ exitCode: _code, ...rest }) => ({ ...rest, message: rest.message ?? null })),
          }),
        );
      } else {
        for (const r of results) {
          const first = `${r.ok ? 'ok    ' : 'FAILED'}  ${r.end} ${r.connector}${r.message ? `: ${r.message}` : ''}`;
          if (r.ok) this.out(first);
          else process.stderr.write(`${first.replace(/\n/g, '\n        ')}\n`);
          for (const warning of r.warnings) process.stderr.write(`warn    ${r.end} ${r.connector}: ${warning}\n`);
        }
      }
      const worst = results.some((r) => r.exitCode === EXIT.usage) ? EXIT.usage : results.some((r) => !r.ok) ? EXIT.failure : EXIT.ok;
      if (worst !== EXIT.ok) this.exit(worst);
    } finally {
      interrupt.dispose();
    }
  }
}
