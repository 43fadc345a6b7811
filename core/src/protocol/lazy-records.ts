import type { RecordData } from './messages.js';

/** A lazy array's own state: whether it was decoded as a whole yet, and its records as a plain array. */
interface LazyState {
  decoded: () => boolean;
  materialize: () => RecordData[];
}

/**
 * The key under which a lazy array's proxy answers with its state. Not a WeakMap from array to state: its values (the
 * decoded records) outlived V8's scavenges though their arrays were gone, so every decoded batch was promoted to the
 * old generation to wait for a full GC (measured: ~5.6 MB promoted per scavenge of ~11 MB allocated reading 1M rows
 * into a sink; 0.04 MB without the WeakMap).
 */
const STATE = Symbol('lazyRecords');

function stateOf(records: readonly RecordData[]): LazyState | undefined {
  return (records as unknown as { [STATE]?: LazyState })[STATE];
}

/**
 * False only for a `lazyRecords` array not decoded as a whole yet: nothing can have changed its records (besides the
 * one or two read alone), so its native rows still stand for them, and a writer may write from those instead.
 */
export function recordsDecoded(records: readonly RecordData[]): boolean {
  return stateOf(records)?.decoded() ?? true;
}

/**
 * The records as a plain array: a `lazyRecords` array's decoded records (decoding them now, once), any other array
 * itself. For a reader about to go through every record: each element read through the lazy array's proxy costs a
 * trap (measured ~0.3 µs per record in a 1M-row load), the plain array's costs nothing.
 */
export function decodedRecords(records: readonly RecordData[]): readonly RecordData[] {
  return stateOf(records)?.materialize() ?? records;
}

/**
 * An array of `count` records that a source decodes from its native rows only when they are read: a destination
 * that loads the native rows unchanged never pays for records it does not look at. It is a real array to every
 * reader (`Array.isArray`, iteration, methods, JSON): reading `length` costs nothing, reading one or two elements decodes
 * those records alone when `decodeAt` is given (the source kit reads the last record's keys), anything else decodes
 * them all once (`decodeAll`, which must return `count` records) and works on that array from then on. A reader that
 * only needs to know a field is never null reads `NativeRows.filledFields` instead (MessageGuard's key check).
 */
export function lazyRecords(count: number, decodeAll: () => RecordData[], decodeAt?: (index: number) => RecordData): RecordData[] {
  let all: RecordData[] | undefined;
  let one: Map<number, RecordData> | undefined;
  const materialize = (): RecordData[] => {
    if (all) return all;
    const decoded = decodeAll();
    if (decoded.length !== count) throw new Error(`native rows decoded to ${decoded.length} records, not ${count}`);
    // A record read alone stays the same object.
    if (one) for (const [index, record] of one) decoded[index] = record;
    all = decoded;
    one = undefined;
    return all;
  };
  const state: LazyState = { decoded: () => all !== undefined, materialize };
  const handler: ProxyHandler<RecordData[]> = {
    get(_target, property) {
      if (property === STATE) return state;
      if (!all) {
        if (property === 'length') return count;
        // One or two records alone (the last one's keys); a reader going through them all decodes the batch once.
        if (decodeAt && typeof property === 'string' && (one?.size ?? 0) < 2) {
          const index = Number(property);
          if (Number.isInteger(index) && index >= 0 && String(index) === property) {
            if (index >= count) return undefined;
            one ??= new Map();
            let record = one.get(index);
            if (!record) one.set(index, (record = decodeAt(index)));
            return record;
          }
        }
      }
      const array = materialize();
      const value = Reflect.get(array, property, array) as unknown;
      return typeof value === 'function' && property !== 'constructor' ? value.bind(array) : value;
    },
    set: (_target, property, value) => Reflect.set(materialize(), property, value),
    has: (_target, property) => Reflect.has(materialize(), property),
    ownKeys: () => Reflect.ownKeys(materialize()),
    getOwnPropertyDescriptor: (_target, property) => Reflect.getOwnPropertyDescriptor(materialize(), property),
    defineProperty: (_target, property, descriptor) => Reflect.defineProperty(materialize(), property, descriptor),
    deleteProperty: (_target, property) => Reflect.deleteProperty(materialize(), property),
  };
  const proxy = new Proxy<RecordData[]>([], handler);
  return proxy;
}
