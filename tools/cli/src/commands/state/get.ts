import { getBookmark, stringifyExactJson } from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { pipelineArg, stateDirFlag } from '../../flags.js';
import { pipelineState } from '../../pipeline/pipeline-state.js';

export default class StateGet extends BaseCommand {
  static override summary = "Print a pipeline's saved state (or one stream's bookmark) as JSON.";

  static override description =
    `Prints the state the next run will start from: \`{"bookmarks": {<stream>: {...}}, "currently_syncing": ...}\`. \
Big integers and long decimals are printed exactly. When no state is saved yet, nothing is printed on stdout \
and a note says so on stderr.`;

  static override examples = [
    { description: 'The whole state', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    { description: "One stream's bookmark", command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --stream public-orders' },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = {
    stream: Flags.string({ description: 'Print only the bookmark of this stream (tap_stream_id).', helpValue: '<stream>' }),
    'state-dir': stateDirFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateGet);
    const { store, id, location } = await pipelineState(args.pipeline, flags['state-dir']);
    const state = await store.load(id);
    if (!state) {
      this.note(`no state saved for pipeline ${id} yet (${location})`);
      return;
    }
    if (flags.stream !== undefined) {
      if (!(flags.stream in state.bookmarks))
        this.note(
          `stream ${flags.stream} has no bookmark in ${location}; streams with one: ${Object.keys(state.bookmarks).join(', ') || '(none)'}`,
        );
      this.out(stringifyExactJson(getBookmark(state, flags.stream), 2));
      return;
    }
    this.out(stringifyExactJson(state, 2));
  }
}
