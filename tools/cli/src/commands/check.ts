import { createLogger, formatError, redact, type CheckResult, type ConnectorContext } from '@mage-int/core';
import { BaseCommand } from '../base-command.js';
import { exitCodeOf } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { jsonFlag, logLevelFlag, pipelineArg } from '../flags.js';
import { onInterrupt } from '../pipeline/interrupt.js';
import { loadPipeline, resolvePipelineDestination, resolvePipelineSource, type ResolvedEnd } from '../pipeline/load-pipeline.js';

interface EndResult {
  end: 'source' | 'destination';
  connector: string;
  ok: boolean;
  message?: string;
  exitCode: number;
}

export default class Check extends BaseCommand {
  static override summary = "Check that a pipeline's source and destination are reachable with their configs.";

  static override description = `Validates both connector configs against their specs, then asks each connector to connect \
(credentials, network, permissions). Both ends are checked even when one fails.

Exit codes: 0 both ok, 1 a connector could not connect, 2 a config, the pipeline file or a connector name is wrong.`;

  static override examples = [
    { description: 'Check both ends', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    { description: 'As JSON, for monitoring', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --json' },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = { json: jsonFlag, 'log-level': logLevelFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Check);
    this.jsonOutput = flags.json;
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
          const result = await resolved.connector.check(resolved.config as never, { logger, signal: interrupt.signal });
          results.push({
            end,
            connector: resolved.connector.name,
            ok: result.ok,
            message: result.message === undefined ? undefined : redact(result.message, this.secrets),
            exitCode: result.ok ? EXIT.ok : EXIT.failure,
          });
        } catch (error) {
          if (interrupt.interrupted) throw error;
          results.push({ end, connector: resolved?.connector.name ?? label, ok: false, message: redact(formatError(error), this.secrets), exitCode: exitCodeOf(error) });
        }
      }
      if (flags.json) {
        this.out(JSON.stringify({ status: results.every((r) => r.ok) ? 'ok' : 'failed', checks: results.map(({ exitCode: _code, ...rest }) => ({ ...rest, message: rest.message ?? null })) }));
      } else {
        for (const r of results) {
          const first = `${r.ok ? 'ok    ' : 'FAILED'}  ${r.end} ${r.connector}${r.message ? `: ${r.message}` : ''}`;
          if (r.ok) this.out(first);
          else process.stderr.write(`${first.replace(/\n/g, '\n        ')}\n`);
        }
      }
      const worst = results.some((r) => r.exitCode === EXIT.usage) ? EXIT.usage : results.some((r) => !r.ok) ? EXIT.failure : EXIT.ok;
      if (worst !== EXIT.ok) this.exit(worst);
    } finally {
      interrupt.dispose();
    }
  }
}
