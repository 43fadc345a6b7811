// Small, real connectors used to prove that the suites pass good connectors and catch bad ones.
import {
  buildCatalogStream,
  defineDestination,
  defineSource,
  forEachRecord,
  getBookmark,
  replicationMethod,
  selectedStreams,
  setBookmark,
  setCurrentlySyncing,
  type RecordData,
  type SourceMessage,
  type State,
} from '@mage-int/core';

export interface SourceFlaws {
  recordBeforeSchema?: boolean;
  ignoreBookmark?: boolean;
  noState?: boolean;
  missingKey?: boolean;
  /** Restarted inside a stream (currently_syncing), starts past a batch it never delivered. */
  loseOnRestart?: boolean;
}

const ROWS: RecordData[] = Array.from({ length: 30 }, (_, i) => ({
  id: i + 1,
  name: `item ${i + 1}`,
  updated_at: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
}));

const schema = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: ['null', 'string'] }, updated_at: { type: 'string', format: 'date-time' } },
};

/** An in-memory source of 30 items in batches of 10 (a STATE after each), incremental on updated_at, with optional flaws. */
export function memorySource(flaws: SourceFlaws = {}) {
  return defineSource<{ greeting?: string }>({
    kind: 'source',
    name: 'memory',
    spec: { type: 'object', properties: { greeting: { type: 'string' } } },
    async check() {
      return { ok: true };
    },
    async discover() {
      return { streams: [buildCatalogStream({ stream: 'items', schema, keyProperties: ['id'], validReplicationKeys: ['updated_at'] })] };
    },
    async *read(_config, catalog, state): AsyncGenerator<SourceMessage> {
      let current: State = state;
      for (const stream of selectedStreams(catalog)) {
        const id = stream.tap_stream_id;
        const incremental = replicationMethod(stream) === 'INCREMENTAL';
        const since = getBookmark(current, id).replication_key_value;
        let rows = ROWS.filter(
          (r) => flaws.ignoreBookmark || !incremental || since === undefined || String(r['updated_at']) >= String(since),
        );
        if (flaws.loseOnRestart && current.currently_syncing === id) rows = rows.slice(20);
        if (!flaws.recordBeforeSchema) yield { type: 'SCHEMA', stream: stream.stream, schema, key_properties: ['id'] };
        current = setCurrentlySyncing(current, id);
        for (let i = 0; i < rows.length; i += 10) {
          const batch = rows.slice(i, i + 10);
          yield {
            type: 'RECORD_BATCH',
            stream: stream.stream,
            records: flaws.missingKey ? batch.map(({ id: _id, ...rest }) => rest) : batch,
          };
          if (incremental)
            current = setBookmark(current, id, { replication_key: 'updated_at', replication_key_value: batch.at(-1)?.['updated_at'] });
          if (!flaws.noState) yield { type: 'STATE', value: current };
        }
        current = setCurrentlySyncing(current, null);
        if (!flaws.noState) yield { type: 'STATE', value: current };
      }
    },
  });
}

export interface DestinationFlaws {
  stateBeforeCommit?: boolean;
  appendOnly?: boolean;
}

/** An in-memory destination: tables keyed by stream, committed at each STATE, with optional flaws. */
export function memoryDestination(flaws: DestinationFlaws = {}) {
  const committed = new Map<string, Map<string, RecordData>>();
  let sequence = 0;
  const destination = defineDestination<{ database: string }>({
    kind: 'destination',
    name: 'memory',
    spec: { type: 'object', properties: { database: { type: 'string' } }, required: ['database'] },
    async check() {
      return { ok: true };
    },
    async *write(config, messages) {
      const keys = new Map<string, string[]>();
      let pending: [string, RecordData][] = [];
      const commit = () => {
        for (const [stream, record] of pending) {
          const table = committed.get(`${config.database}.${stream}`) ?? new Map<string, RecordData>();
          const streamKeys = keys.get(stream) ?? [];
          const id = flaws.appendOnly || streamKeys.length === 0 ? `#${sequence++}` : JSON.stringify(streamKeys.map((k) => record[k]));
          table.set(id, record);
          committed.set(`${config.database}.${stream}`, table);
        }
        pending = [];
      };
      for await (const message of messages) {
        if (message.type === 'SCHEMA') keys.set(message.stream, message.key_properties);
        else if (message.type === 'RECORD' || message.type === 'RECORD_BATCH')
          forEachRecord(message, (r) => pending.push([message.stream, r]));
        else if (message.type === 'STATE') {
          if (flaws.stateBeforeCommit) {
            yield message;
            commit();
          } else {
            commit();
            yield message;
          }
        }
      }
      commit();
    },
  });
  const readTable = async (config: { database: string }, stream: string) => [
    ...(committed.get(`${config.database}.${stream}`)?.values() ?? []),
  ];
  return { destination, readTable };
}
