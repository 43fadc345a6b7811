import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyStreamOverrides,
  buildCatalogStream,
  FileStateStore,
  isFieldSelected,
  isStreamSelected,
  replicationMethod,
  selectedFields,
  setBookmark,
  emptyState,
  toState,
  type CatalogStream,
} from '../src/index.js';

function stream(): CatalogStream {
  return buildCatalogStream({
    stream: 'orders',
    schema: {
      properties: {
        id: { type: 'integer' },
        updated_at: { type: 'string', format: 'date-time' },
        note: { type: 'string' },
        secret: { type: 'string' },
      },
    },
    keyProperties: ['id'],
    validReplicationKeys: ['updated_at'],
  });
}

describe('catalog selection', () => {
  it('follows the Singer order: unsupported, automatic, selected, selected-by-default, parent', () => {
    const s = stream();
    s.metadata.find((m) => m.breadcrumb[1] === 'secret')!.metadata['inclusion'] = 'unsupported';
    s.metadata.find((m) => m.breadcrumb[1] === 'secret')!.metadata['selected'] = true;
    s.metadata.find((m) => m.breadcrumb[1] === 'note')!.metadata['selected-by-default'] = false;
    expect(isStreamSelected(s)).toBe(true); // selected-by-default on the stream
    expect(isFieldSelected(s, 'secret')).toBe(false); // unsupported beats selected
    expect(isFieldSelected(s, 'note')).toBe(false);
    s.metadata[0]!.metadata['selected'] = false;
    expect(isStreamSelected(s)).toBe(false);
    expect(isFieldSelected(s, 'id')).toBe(true); // automatic
    s.metadata.find((m) => m.breadcrumb[1] === 'updated_at')!.metadata = {};
    expect(isFieldSelected(s, 'updated_at')).toBe(false); // parent's choice
  });

  it('applies pipeline overrides and rejects unknown streams, fields and replication keys', () => {
    const catalog = applyStreamOverrides(
      { streams: [stream()] },
      { orders: { fields: ['note'], replication_method: 'INCREMENTAL', replication_key: 'updated_at' } },
    );
    const s = catalog.streams[0]!;
    expect(selectedFields(s)).toEqual(['id', 'updated_at', 'note']); // the key and the replication key are always kept
    expect(replicationMethod(s)).toBe('INCREMENTAL');
    expect(() => applyStreamOverrides({ streams: [stream()] }, { ordres: {} })).toThrow(/stream "ordres" is not in the source's catalog/);
    expect(() => applyStreamOverrides({ streams: [stream()] }, { orders: { fields: ['nope'] } })).toThrow(/field "nope"/);
    expect(() => applyStreamOverrides({ streams: [stream()] }, { orders: { replication_key: 'note' } })).toThrow(
      expect.objectContaining({
        message: 'stream "orders", field "note": is not a valid replication key',
        hint: 'valid replication keys: updated_at',
      }),
    );
  });
});

describe('state', () => {
  it('accepts Meltano-wrapped and foreign state values', () => {
    expect(toState({ singer_state: { bookmarks: { a: { x: 1 } } } }).bookmarks).toEqual({ a: { x: 1 } });
    expect(toState({ foo: 1 })).toEqual({ foo: 1, bookmarks: {} });
  });

  it('saves atomically and round-trips exact values', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'state-'));
    const store = new FileStateStore(dir);
    const state = setBookmark(emptyState(), 'orders', { replication_key_value: 12345678901234567890n });
    await store.save('p1', state);
    expect(await readdir(dir)).toEqual(['p1.json']); // no temp file left behind
    expect(await readFile(join(dir, 'p1.json'), 'utf8')).toContain('12345678901234567890');
    expect((await store.load('p1'))?.bookmarks['orders']?.replication_key_value).toBe(12345678901234567890n);
    expect(await store.load('missing')).toBeUndefined();
  });

  it('reports a corrupt state file with a hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'state-'));
    await writeFile(join(dir, 'p.json'), '{not json');
    await expect(new FileStateStore(dir).load('p')).rejects.toMatchObject({
      code: 'STATE_CORRUPT',
      hint: expect.stringContaining('state clear'),
    });
  });
});
