import { describe, expect, it } from 'vitest';
import { inferStreamSchema } from '../src/index.js';
import { json, readAll, serve } from './helpers.js';

describe('schemas', () => {
  it('widens types across samples: integer with number, formats kept only when every sample has them, mixes as type lists', () => {
    const schema = inferStreamSchema([
      { id: 1, amount: 10, at: '2024-01-01T00:00:00Z', day: '2024-01-01', code: 7, tags: ['a'], address: { city: 'Oslo' } },
      {
        id: 2,
        amount: 10.5,
        at: 'yesterday',
        day: '2024-01-02',
        code: 'X7',
        tags: [],
        address: { city: 'Bergen', zip: 5003 },
        extra: null,
      },
    ]);
    expect(schema.properties).toEqual({
      id: { type: ['integer', 'null'] },
      amount: { type: ['null', 'number'] },
      at: { type: ['null', 'string'] },
      day: { type: ['null', 'string'], format: 'date' },
      code: { type: ['integer', 'null', 'string'] },
      tags: { type: ['array', 'null'], items: { type: ['null', 'string'] } },
      address: { type: ['null', 'object'], properties: { city: { type: ['null', 'string'] }, zip: { type: ['integer', 'null'] } } },
      extra: { type: ['null'] },
    });
  });

  it('an inline schema is used as written; with infer_schema its properties win over the inferred ones', async () => {
    const server = await serve((_req, res) => json(res, 200, [{ id: 1, price: '12.50', note: 'n' }]));
    const inline = { type: 'object', properties: { id: { type: 'integer' }, price: { type: 'string', format: 'decimal' } } } as const;
    const { catalog } = await readAll({
      client: { base_url: server.url, paginator: { type: 'single_page' } },
      resources: [
        { name: 'as_written', primary_key: 'id', endpoint: { path: 'x' }, schema: inline },
        { name: 'merged', primary_key: 'id', endpoint: { path: 'x' }, schema: inline, infer_schema: true },
      ],
    });
    const [asWritten, merged] = catalog.streams;
    expect(asWritten?.schema.properties).toEqual(inline.properties);
    expect(merged?.schema.properties).toEqual({ ...inline.properties, note: { type: ['null', 'string'] } });
    // Only the stream that infers asked the API at discovery.
    expect(server.requests).toHaveLength(1 + 2);
  });
});

describe('write disposition', () => {
  it('a stream with primary_key merges by it (its key properties); append, or no key, emits none', async () => {
    const server = await serve((_req, res) => json(res, 200, [{ id: 1, event: 'x' }]));
    const { catalog, messages } = await readAll({
      client: { base_url: server.url, paginator: { type: 'single_page' } },
      resource_defaults: { endpoint: { path: 'x' }, infer_schema: false },
      resources: [
        { name: 'merged', primary_key: ['id'] },
        { name: 'appended', primary_key: 'id', write_disposition: 'append' },
        { name: 'keyless' },
      ],
    });
    expect(catalog.streams.map((s) => [s.stream, s.key_properties])).toEqual([
      ['merged', ['id']],
      ['appended', []],
      ['keyless', []],
    ]);
    const schemas = messages.flatMap((m) => (m.type === 'SCHEMA' ? [[m.stream, m.key_properties]] : []));
    expect(schemas).toEqual([
      ['merged', ['id']],
      ['appended', []],
      ['keyless', []],
    ]);
  });
});
