import { defineDestination, type SourceMessage, type WriteContext } from '../src/index.js';

/**
 * A destination that pushes every message it is given onto `seen` (after `onMessage`, which sees the write context)
 * and commits (yields the STATE) as it sees one: what the runner hands a destination, for tests to assert on.
 */
export function recordingDestination(seen: SourceMessage[], onMessage?: (message: SourceMessage, ctx: WriteContext) => void) {
  return defineDestination<Record<string, never>>({
    kind: 'destination',
    name: 'recording',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    async *write(_config, messages, ctx) {
      for await (const message of messages as AsyncIterable<SourceMessage>) {
        onMessage?.(message, ctx);
        seen.push(message);
        if (message.type === 'STATE') yield message;
      }
    },
  });
}
