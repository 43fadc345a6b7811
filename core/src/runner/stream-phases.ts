import { replicationMethod, type Catalog, type ReplicationMethod } from '../catalog/catalog.js';
import type { SourceMessage } from '../protocol/messages.js';
import { toState, type State } from '../state/state.js';

/**
 * Where a stream of a run is:
 * - `queued`: selected, nothing read yet
 * - `reading`: its rows are being read (FULL_TABLE, INCREMENTAL)
 * - `snapshot`: the initial copy of a LOG_BASED stream
 * - `waiting-for-commit`: the source has moved past it; the destination has not yet committed its last rows
 * - `streaming`: a LOG_BASED stream reading changes from the log
 * - `done`: committed; `failed`: the run's error names it; `stopped`: the run ended (failed, cancelled) before it was done
 */
export type StreamPhase = 'queued' | 'reading' | 'snapshot' | 'waiting-for-commit' | 'streaming' | 'done' | 'failed' | 'stopped';

export interface StreamPhaseInfo {
  stream: string;
  tapStreamId: string;
  method: ReplicationMethod;
  phase: StreamPhase;
  /** When it entered this phase (ms since the epoch). */
  since: number;
}

interface Tracked extends StreamPhaseInfo {
  /** The stream's bookmark (JSON) when the source moved past it: committed once a committed state holds the same. */
  finishedBookmark?: string;
}

const ENDED: readonly StreamPhase[] = ['done', 'failed', 'stopped'];

/**
 * Follows the phase of each selected stream from what the runner sees: the source's messages (records of a stream,
 * STATE naming the stream it is syncing), the states the destination commits, and the end of the read and the run.
 */
export class StreamPhases {
  private readonly byName = new Map<string, Tracked>();
  private readonly byTapId = new Map<string, Tracked>();
  private syncing: string | null | undefined;

  constructor(catalog: Catalog, selected: readonly string[], now = Date.now()) {
    const wanted = new Set(selected);
    for (const entry of catalog.streams) {
      if (!wanted.has(entry.tap_stream_id)) continue;
      const tracked: Tracked = {
        stream: entry.stream,
        tapStreamId: entry.tap_stream_id,
        method: replicationMethod(entry),
        phase: 'queued',
        since: now,
      };
      this.byName.set(entry.stream, tracked);
      this.byTapId.set(entry.tap_stream_id, tracked);
    }
  }

  /** The phases, keyed by stream name (as `RunProgress.streams`). */
  snapshot(): Record<string, StreamPhaseInfo> {
    const out: Record<string, StreamPhaseInfo> = {};
    for (const [name, { finishedBookmark: _f, ...info }] of this.byName) out[name] = info;
    return out;
  }

  private move(tracked: Tracked, phase: StreamPhase, now: number): boolean {
    if (tracked.phase === phase || ENDED.includes(tracked.phase)) return false;
    tracked.phase = phase;
    tracked.since = now;
    return true;
  }

  /** A message from the source (after the protocol checks). True when a phase changed. */
  onSourceMessage(message: SourceMessage, now = Date.now()): boolean {
    if (message.type === 'RECORD' || message.type === 'RECORD_BATCH' || message.type === 'BATCH') {
      const tracked = this.byName.get(message.stream);
      if (!tracked) return false;
      if (tracked.method === 'LOG_BASED' && tracked.phase === 'waiting-for-commit' && this.syncing !== tracked.tapStreamId) {
        // Changes from the log arrive: the snapshot is behind it (its commit follows with the changes').
        delete tracked.finishedBookmark;
        return this.move(tracked, 'streaming', now);
      }
      if (tracked.phase !== 'queued') return false;
      const snapshotting = tracked.method === 'LOG_BASED' && this.syncing === tracked.tapStreamId;
      return this.move(tracked, tracked.method === 'LOG_BASED' ? (snapshotting ? 'snapshot' : 'streaming') : 'reading', now);
    }
    if (message.type !== 'STATE') return false;
    const state = toState(message.value);
    const syncing = typeof state.currently_syncing === 'string' ? state.currently_syncing : null;
    let changed = false;
    if (syncing !== this.syncing) {
      // The stream the source was on is finished: its rows are read, not yet committed.
      const previous = this.syncing ? this.byTapId.get(this.syncing) : undefined;
      if (previous && (previous.phase === 'reading' || previous.phase === 'snapshot' || previous.phase === 'queued')) {
        previous.finishedBookmark = JSON.stringify(state.bookmarks[previous.tapStreamId] ?? null);
        changed = this.move(previous, 'waiting-for-commit', now) || changed;
      }
      const next = syncing ? this.byTapId.get(syncing) : undefined;
      if (next && next.phase === 'queued') changed = this.move(next, next.method === 'LOG_BASED' ? 'snapshot' : 'reading', now) || changed;
      this.syncing = syncing;
    }
    if (syncing === null) {
      // Snapshots are over: LOG_BASED streams with a log position are read from the log now.
      for (const tracked of this.byName.values()) {
        const bookmark = state.bookmarks[tracked.tapStreamId];
        if (tracked.method === 'LOG_BASED' && tracked.phase === 'queued' && bookmark && !('last_pk_fetched' in bookmark))
          changed = this.move(tracked, 'streaming', now) || changed;
      }
    }
    return changed;
  }

  /** The destination committed `state` (and the runner saved it). True when a phase changed. */
  onCommit(state: State, now = Date.now()): boolean {
    let changed = false;
    for (const tracked of this.byName.values()) {
      if (tracked.phase !== 'waiting-for-commit' || tracked.finishedBookmark === undefined) continue;
      if (state.currently_syncing === tracked.tapStreamId) continue;
      if (JSON.stringify(state.bookmarks[tracked.tapStreamId] ?? null) !== tracked.finishedBookmark) continue;
      // A LOG_BASED stream's snapshot is committed; its changes follow from the log.
      delete tracked.finishedBookmark;
      changed = this.move(tracked, tracked.method === 'LOG_BASED' ? 'streaming' : 'done', now) || changed;
    }
    return changed;
  }

  /** The source has nothing more to send: every stream it read waits for the destination's last commit. */
  onSourceEnd(now = Date.now()): void {
    for (const tracked of this.byName.values()) {
      if (tracked.phase === 'reading' || tracked.phase === 'snapshot' || tracked.phase === 'streaming') {
        this.move(tracked, 'waiting-for-commit', now);
      }
    }
  }

  /** The run ended: committed (every stream done), or failed/cancelled (`failedStream` failed, the unfinished stopped). */
  onRunEnd(outcome: 'completed' | 'failed', failedStream?: string, now = Date.now()): void {
    for (const tracked of this.byName.values()) {
      if (outcome === 'completed') this.move(tracked, 'done', now);
      else if (failedStream !== undefined && (tracked.tapStreamId === failedStream || tracked.stream === failedStream))
        this.move(tracked, 'failed', now);
      else this.move(tracked, 'stopped', now);
    }
  }
}
