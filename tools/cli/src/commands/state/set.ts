import { readFile } from 'node:fs/promises';
import { ConfigError, emptyState, parseExactJson, toState, type StreamBookmark } from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { pipelineArg, stateDirFlag } from '../../flags.js';
import { pipelineState } from '../../pipeline/pipeline-state.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export default class StateSet extends BaseCommand {
  static override summary = "Replace a pipeline's saved state, or one stream's bookmark.";

  static override description = `Without --stream the value replaces the whole state (mage-int's \`{"bookmarks": ...}\` shape, \
or Meltano's \`{"singer_state": ...}\`, which is unwrapped). With --stream it replaces that stream's bookmark and \
keeps the others. The file is replaced atomically. Use it to start a stream from a chosen point, or to move state \
from another tool.`;

  static override examples = [
    {
      description: 'Start one stream from a date',
      command: `<%= config.bin %> <%= command.id %> pipelines/orders.yaml --stream public-orders --value '{"replication_key":"updated_at","replication_key_value":"2024-01-01T00:00:00Z"}'`,
    },
    {
      description: 'Restore a whole state from a file',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --file backup-state.json',
    },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = {
    stream: Flags.string({ description: 'Set only the bookmark of this stream (tap_stream_id).', helpValue: '<stream>' }),
    value: Flags.string({ description: 'The new value, as JSON.', helpValue: '<json>', exactlyOne: ['value', 'file'] }),
    file: Flags.string({ description: 'Read the new value from this JSON file.', helpValue: '<path>', exactlyOne: ['value', 'file'] }),
    'state-dir': stateDirFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateSet);
    const { store, id, location } = await pipelineState(args.pipeline, flags['state-dir']);
    const value = await this.readValue(flags.value, flags.file);
    if (flags.stream !== undefined) {
      if (!isObject(value)) {
        throw new ConfigError(
          'STATE_VALUE_INVALID',
          `a bookmark must be a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
          {
            stream: flags.stream,
            hint: `e.g. --value '{"replication_key":"updated_at","replication_key_value":"2024-01-01T00:00:00Z"}'`,
          },
        );
      }
      const state = (await store.load(id)) ?? emptyState();
      await store.save(id, { ...state, bookmarks: { ...state.bookmarks, [flags.stream]: value as StreamBookmark } });
      this.out(`bookmark of stream ${flags.stream} saved to ${location}`);
      return;
    }
    if (!isObject(value)) {
      throw new ConfigError(
        'STATE_VALUE_INVALID',
        `a state must be a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
        {
          hint: `e.g. --value '{"bookmarks":{"public-orders":{"replication_key_value":"2024-01-01"}}}'`,
        },
      );
    }
    const state = toState(value);
    if (!isObject(value['bookmarks']) && !isObject(value['singer_state']))
      this.note('note: the value has no "bookmarks" object; it is saved as is, with empty bookmarks');
    await store.save(id, state);
    this.out(`state of pipeline ${id} saved to ${location}`);
  }

  private async readValue(value: string | undefined, file: string | undefined): Promise<unknown> {
    let text: string;
    let from: string;
    if (file !== undefined) {
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ConfigError('STATE_FILE_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`);
      }
      from = file;
    } else {
      text = value ?? '';
      from = '--value';
    }
    try {
      return parseExactJson(text);
    } catch (error) {
      throw new ConfigError('STATE_VALUE_INVALID', `${from} is not valid JSON: ${(error as Error).message}`, {
        hint: 'quote the JSON for your shell, e.g. --value \'{"bookmarks":{}}\'',
      });
    }
  }
}
