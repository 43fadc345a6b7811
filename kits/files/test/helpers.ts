import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  silentLogger,
  type Catalog,
  type ConnectorContext,
  type RecordData,
  type SourceMessage,
  type State,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readContext(): ConnectorContext {
  return { logger: silentLogger, signal: new AbortController().signal };
}

export function writeContext(streams: WriteContext['streams'] = {}): WriteContext {
  return { logger: silentLogger, signal: new AbortController().signal, streams };
}

/** Collects a read: records per stream, the SCHEMA of each stream, and the last STATE. */
export async function collect(
  messages: AsyncIterable<SourceMessage>,
): Promise<{ records: Record<string, RecordData[]>; schemas: Record<string, SourceMessage>; state: State | undefined }> {
  const records: Record<string, RecordData[]> = {};
  const schemas: Record<string, SourceMessage> = {};
  let state: State | undefined;
  for await (const message of messages) {
    if (message.type === 'RECORD_BATCH') (records[message.stream] ??= []).push(...message.records);
    else if (message.type === 'RECORD') (records[message.stream] ??= []).push(message.record);
    else if (message.type === 'SCHEMA') schemas[message.stream] = message;
    else if (message.type === 'STATE') state = message.value as State;
  }
  return { records, schemas, state };
}

export async function drain(states: AsyncIterable<StateMessage>): Promise<StateMessage[]> {
  const out: StateMessage[] = [];
  for await (const state of states) out.push(state);
  return out;
}

export function selectAll(catalog: Catalog): Catalog {
  return catalog;
}

/** Strips the metadata columns, for comparing data. */
export function data(records: RecordData[] | undefined): RecordData[] {
  return (records ?? []).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sdc_'))));
}
