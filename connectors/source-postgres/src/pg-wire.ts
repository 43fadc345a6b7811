import type pg from 'pg';

/**
 * The one place that touches node-postgres internals (everything else uses its public API). Streaming replication
 * needs three things pg does not offer publicly: a query object that receives the raw CopyData of a CopyBoth
 * response (pg's `Submittable` protocol: `submit(connection)` and `handle*` callbacks), sending CopyData back on the
 * same connection (standby status updates), and pausing the socket for backpressure. They are stable across pg
 * 8.x (checked up to the version in package.json, whose range is pinned for this reason); a new major of pg must
 * be checked against this file and test/pg-wire.test.ts.
 */

/** The parts of pg's internal `Connection` used here. */
interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void; unref?(): void };
}

/** Receives the server's messages for a query submitted with `submitRaw` (the subset of pg's Submittable callbacks that matter here). */
export interface RawQueryHandler {
  /** One CopyData message body (a fresh copy: pg reuses its buffer). */
  onCopyData(chunk: Buffer): void;
  onError(error: Error): void;
  /** ReadyForQuery: the query (and its CopyBoth) ended. */
  onEnd(): void;
}

/** The wire of one raw query: send CopyData, pause and resume reading. */
export interface RawQueryWire {
  sendCopyData(chunk: Buffer): void;
  pause(): void;
  resume(): void;
}

/** Sends `sql` on `client` and routes the responses to `handler`; returns the wire once pg has submitted it. */
export function submitRaw(client: pg.Client, sql: string, handler: RawQueryHandler): RawQueryWire {
  let connection: PgConnection | undefined;
  const submittable = {
    submit(c: PgConnection): void {
      connection = c;
      c.query(sql);
    },
    handleCopyData: (msg: { chunk: Buffer }) => handler.onCopyData(Buffer.from(msg.chunk)),
    handleError: (error: Error) => handler.onError(error),
    handleReadyForQuery: () => handler.onEnd(),
    handleCommandComplete: () => {},
    handleRowDescription: () => {},
    handleDataRow: () => {},
    handleEmptyQuery: () => {},
    handlePortalSuspended: () => {},
    handleCopyInResponse: () => {},
  };
  client.query(submittable as unknown as pg.Submittable);
  return {
    sendCopyData: (chunk) => connection?.sendCopyFromChunk(chunk),
    pause: () => connection?.stream.pause(),
    resume: () => connection?.stream.resume(),
  };
}

/** Lets the process exit while `client`'s socket is still open (a connection kept only for late acknowledgements). */
export function unrefSocket(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
}
