import { clearBookmarks } from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { pipelineArg, stateDirFlag } from '../../flags.js';
import { pipelineState } from '../../pipeline/pipeline-state.js';

export default class StateClear extends BaseCommand {
  static override summary = "Forget a pipeline's saved state (all of it, or some streams' bookmarks).";

  static override description = `The next run then syncs the affected streams from the start. Data already in the destination \
is not touched (key-based upserts make a re-sync converge; use \`run --full-refresh\` to re-sync once without \
clearing anything).`;

  static override examples = [
    { description: 'Forget everything', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    {
      description: 'Forget two streams',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --stream public-orders --stream public-customers',
    },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = {
    stream: Flags.string({
      description: 'Clear only the bookmark of this stream (repeatable, or comma-separated).',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      helpValue: '<stream>',
    }),
    'state-dir': stateDirFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateClear);
    const { store, id, location } = await pipelineState(args.pipeline, flags['state-dir']);
    const state = await store.load(id);
    if (!state) {
      this.out(`no state saved for pipeline ${id} (${location}): nothing to clear`);
      return;
    }
    if (!flags.stream || flags.stream.length === 0) {
      await store.clear(id);
      this.out(`state of pipeline ${id} cleared (${location} removed)`);
      return;
    }
    const missing = flags.stream.filter((s) => !(s in state.bookmarks));
    if (missing.length > 0)
      this.note(`note: no bookmark for ${missing.join(', ')}; streams with one: ${Object.keys(state.bookmarks).join(', ') || '(none)'}`);
    const next = clearBookmarks(state, flags.stream);
    if (typeof next.currently_syncing === 'string' && flags.stream.includes(next.currently_syncing)) next.currently_syncing = null;
    await store.save(id, next);
    this.out(`bookmarks of ${flags.stream.join(', ')} cleared in ${location}`);
  }
}
