import {
  applyStreamOverrides,
  createLogger,
  getMetadata,
  isStreamSelected,
  keyProperties,
  replicationKey,
  replicationMethod,
  selectedFields,
  stringifyExactJson,
} from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { jsonFlag, logLevelFlag, pipelineArg } from '../flags.js';
import { createDiscoverProgressDisplay, resolveDiscoverProgressMode } from '../output/discover-progress-display.js';
import { renderTable } from '../output/table.js';
import { onInterrupt } from '../pipeline/interrupt.js';
import { loadPipeline, resolvePipelineSource } from '../pipeline/load-pipeline.js';

export default class Discover extends BaseCommand {
  static override summary = "List the streams a pipeline's source offers: keys, replication methods, selection.";

  static override description = `Connects to the source of the pipeline file and prints its catalog with the file's \`select:\` \
patterns and \`streams:\` choices applied: which streams are selected, their key properties, the replication method and \
key in force, and how many fields will be synced. Only the source is needed (the destination is not loaded).

With --json the full Singer catalog (streams, schemas, metadata) is printed, ready for a --catalog file.

On a terminal, stderr shows how far discovery has got when the source reports it (PostgreSQL and MySQL: tables \
introspected of the total; the REST source: streams sampled of the total); --progress plain prints a line per tenth \
anywhere, --progress none nothing.`;

  static override examples = [
    { description: 'Show the streams as a table', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    { description: 'Save the Singer catalog', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --json > catalog.json' },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = {
    json: jsonFlag,
    progress: Flags.option({
      options: ['auto', 'live', 'plain', 'none'] as const,
      default: 'auto' as const,
      description: 'Discovery progress on stderr: a live line on a terminal, nothing otherwise (auto); plain lines; or none.',
    })(),
    'log-level': logLevelFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Discover);
    this.jsonOutput = flags.json;
    const config = await loadPipeline(args.pipeline);
    const source = await resolvePipelineSource(config);
    this.secrets = source.secrets;
    const interrupt = onInterrupt((message) => this.note(message));
    try {
      const display = createDiscoverProgressDisplay(resolveDiscoverProgressMode(flags.progress), config.id);
      const logger = createLogger({ level: flags['log-level'], secrets: this.secrets, write: (line) => display.log(line) });
      let discovered;
      try {
        discovered = await source.connector.discover(source.config as never, {
          logger: logger.child(`source-${source.connector.name}`),
          signal: interrupt.signal,
          onProgress: (progress) => display.update(progress),
        });
      } finally {
        display.stop();
      }
      const catalog = applyStreamOverrides(discovered, config.streams, undefined, config.select);
      if (flags.json) {
        this.out(stringifyExactJson(catalog, 2));
        return;
      }
      if (catalog.streams.length === 0) {
        this.out(`source ${source.connector.name} offers no streams`);
        return;
      }
      const rows = catalog.streams.map((stream) => {
        const md = getMetadata(stream);
        const method = replicationMethod(stream);
        const forced = typeof md['forced-replication-method'] === 'string';
        const valid = Array.isArray(md['valid-replication-keys']) ? (md['valid-replication-keys'] as unknown[]).map(String) : [];
        const chosenKey = replicationKey(stream);
        const keyCell = chosenKey ?? (valid.length > 0 ? `- (valid: ${valid.join(', ')})` : '-');
        const selected = isStreamSelected(stream);
        const total = Object.keys(stream.schema.properties ?? {}).length;
        return [
          stream.tap_stream_id,
          selected ? 'yes' : 'no',
          keyProperties(stream).join(', ') || '-',
          forced ? `${method} (only)` : method,
          keyCell,
          selected ? `${selectedFields(stream).length}/${total}` : `-/${total}`,
        ];
      });
      this.out(
        renderTable(
          [
            { header: 'STREAM' },
            { header: 'SELECTED' },
            { header: 'KEY' },
            { header: 'REPLICATION' },
            { header: 'REPLICATION KEY' },
            { header: 'FIELDS', align: 'right' },
          ],
          rows,
        ),
      );
      const selectedCount = catalog.streams.filter(isStreamSelected).length;
      this.out(
        `${catalog.streams.length} stream${catalog.streams.length === 1 ? '' : 's'}, ${selectedCount} selected; choose with \`select:\` or \`streams:\` in ${args.pipeline} (see docs/pipeline-config.md)`,
      );
    } finally {
      interrupt.dispose();
    }
  }
}
