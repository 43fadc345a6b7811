import { describe, expect, it } from 'vitest';
import { applyStreamOverrides, buildCatalogStream, ConfigError, isStreamSelected, selectedFields, type Catalog } from '../src/index.js';

const table = (id: string, extra: string[] = []) =>
  buildCatalogStream({
    tapStreamId: id,
    stream: id.split('-')[1] as string,
    schema: { properties: Object.fromEntries(['id', 'email', 'updated_at', ...extra].map((f) => [f, { type: ['null', 'string'] }])) },
    keyProperties: ['id'],
    validReplicationKeys: ['updated_at'],
  });
const catalog: Catalog = {
  streams: ['public-orders', 'public-customers', 'public-audit_log', 'public-audit_2024', 'sales-orders'].map((id) => table(id, ['ssn'])),
};

/** Selected streams with their selected fields. */
function selection(select: string[], streams = {}): Record<string, string[]> {
  const result = applyStreamOverrides(catalog, streams, undefined, select);
  return Object.fromEntries(result.streams.filter(isStreamSelected).map((s) => [s.tap_stream_id, selectedFields(s)]));
}

const all = ['id', 'email', 'updated_at', 'ssn'];

describe('select: patterns', () => {
  it('syncs only the streams they name, with every field', () => {
    expect(selection(['public-orders'])).toEqual({ 'public-orders': all });
    // The stream name works too, and matches every schema's stream of that name.
    expect(Object.keys(selection(['orders']))).toEqual(['public-orders', 'sales-orders']);
  });

  it('takes globs and exclusions', () => {
    expect(Object.keys(selection(['public-*', '!public-audit_*']))).toEqual(['public-orders', 'public-customers']);
    expect(Object.keys(selection(['*-orders', 'public-audit_20??']))).toEqual(['public-orders', 'public-audit_2024', 'sales-orders']);
  });

  it('selects fields with stream.field, always keeping the key', () => {
    expect(selection(['public-customers.email'])).toEqual({ 'public-customers': ['id', 'email'] });
    expect(selection(['public-customers.*', '!public-customers.ssn'])).toEqual({ 'public-customers': ['id', 'email', 'updated_at'] });
    // A whole-stream pattern beside a field pattern: the whole stream.
    expect(selection(['public-*', '!public-audit_*', 'public-orders.email'])['public-orders']).toEqual(all);
  });

  it('a whole-stream pattern selects every field, also those the source does not select by default', () => {
    const quiet = buildCatalogStream({
      stream: 'Account',
      schema: { properties: { Id: { type: 'string' }, Name: { type: 'string' }, Industry: { type: 'string' } } },
      keyProperties: ['Id'],
      fieldMetadata: { Name: { 'selected-by-default': false }, Industry: { 'selected-by-default': false } },
    });
    const pick = (select: string[]) => selectedFields(applyStreamOverrides({ streams: [quiet] }, {}, undefined, select).streams[0]!);
    expect(pick(['Account'])).toEqual(['Id', 'Name', 'Industry']);
    expect(pick(['Account.*', '!Account.Industry'])).toEqual(['Id', 'Name']);
    expect(pick(['Account.Industry'])).toEqual(['Id', 'Industry']);
  });

  it('comes before streams: overrides', () => {
    expect(
      Object.keys(
        selection(['public-*'], {
          'public-audit_log': { selected: false },
          'public-audit_2024': { selected: false },
          'public-customers': { selected: false },
        }),
      ),
    ).toEqual(['public-orders']);
    // A replication key chosen in streams: stays even when select: picked other fields.
    expect(
      selection(['public-orders.email'], { 'public-orders': { replication_method: 'INCREMENTAL', replication_key: 'updated_at' } }),
    ).toEqual({ 'public-orders': ['id', 'email', 'updated_at'] });
  });

  it('rejects a name that matches nothing, a list of only exclusions, and incomplete patterns', () => {
    expect(() => selection(['public-order'])).toThrow('select pattern "public-order" names no stream of the source\'s catalog');
    expect(() => selection(['public-orders.emial'])).toThrow(
      'stream "public-orders", field "emial": select pattern "public-orders.emial" names a field the stream does not have',
    );
    expect(() => selection(['!public-audit_*'])).toThrow(ConfigError);
    expect(() => selection(['public-orders.'])).toThrow('is incomplete');
    // A glob may match nothing: there may simply be no such table today.
    expect(Object.keys(selection(['public-orders', 'public-tmp_*']))).toEqual(['public-orders']);
  });
});
