import { setBookmark, setCurrentlySyncing, type State, type StateMessage, type StreamBookmark } from '@mage-int/core';

/** Holds the full state of a read as it advances; every STATE message carries all bookmarks. */
export class StateTracker {
  constructor(public state: State) {}

  bookmark(tapStreamId: string): StreamBookmark {
    return this.state.bookmarks[tapStreamId] ?? {};
  }

  /** Merges `patch` into a stream's bookmark (undefined values remove keys). */
  set(tapStreamId: string, patch: StreamBookmark): void {
    this.state = setBookmark(this.state, tapStreamId, patch);
  }

  syncing(tapStreamId: string | null): void {
    this.state = setCurrentlySyncing(this.state, tapStreamId);
  }

  /** A STATE message with the current state (never mutated later: updates make new objects). */
  message(): StateMessage {
    return { type: 'STATE', value: this.state };
  }
}
