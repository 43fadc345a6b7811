import type { StateMessage } from '../protocol/messages.js';
import { setBookmark, setCurrentlySyncing, type State, type StreamBookmark } from '../state/state.js';

/**
 * Holds the full state of a read as it advances; every STATE message carries all bookmarks. Updates make new
 * objects, so a STATE message already yielded never changes under the consumer.
 */
export class StateTracker {
  constructor(public state: State) {}

  bookmark(tapStreamId: string): StreamBookmark {
    return this.state.bookmarks[tapStreamId] ?? {};
  }

  /** Merges `patch` into a stream's bookmark (undefined values remove keys). */
  set(tapStreamId: string, patch: StreamBookmark): void {
    this.state = setBookmark(this.state, tapStreamId, patch);
  }

  /** The bookmark of one partition of a stream (`bookmarks[stream].partitions[key]`). */
  partition(tapStreamId: string, key: string): StreamBookmark {
    const partitions = this.bookmark(tapStreamId)['partitions'];
    const found = isObject(partitions) ? partitions[key] : undefined;
    return isObject(found) ? (found as StreamBookmark) : {};
  }

  /** Merges `patch` into one partition's bookmark, keeping the other partitions. */
  setPartition(tapStreamId: string, key: string, patch: StreamBookmark): void {
    const partitions = this.bookmark(tapStreamId)['partitions'];
    const merged: StreamBookmark = { ...this.partition(tapStreamId, key), ...patch };
    for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
    this.set(tapStreamId, { partitions: { ...(isObject(partitions) ? partitions : {}), [key]: merged } });
  }

  syncing(tapStreamId: string | null): void {
    this.state = setCurrentlySyncing(this.state, tapStreamId);
  }

  /** A STATE message with the current state. */
  message(): StateMessage {
    return { type: 'STATE', value: this.state };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
