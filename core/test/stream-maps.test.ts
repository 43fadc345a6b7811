import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyTransforms, Decimal, streamMapsTransform, type SourceMessage, type StreamMaps } from '../src/index.js';
import { compileExpression } from '../src/transform/expression.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const CUSTOMERS = {
  properties: {
    id: { type: 'integer' },
    first_name: { type: ['string', 'null'] },
    last_name: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    country: { type: ['string', 'null'] },
    ssn: { type: ['string', 'null'] },
    balance: { type: ['number', 'null'], 'sql-datatype': 'numeric(20,2)' },
  },
};
const ROWS = [
  {
    id: 1,
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: 'ada@example.com',
    country: 'DE',
    ssn: '111',
    balance: new Decimal('12345678901234567.25'),
  },
  { id: 2, first_name: 'Alan', last_name: 'Turing', email: 'alan@example.org', country: 'UK', ssn: '222', balance: 3.5 },
  { id: 3, first_name: 'Grace', last_name: null, email: null, country: 'FR', ssn: '333', balance: null },
];

function input(): SourceMessage[] {
  return [
    { type: 'SCHEMA', stream: 'customers', schema: CUSTOMERS, key_properties: ['id'] },
    { type: 'SCHEMA', stream: 'audit_log', schema: { properties: { id: { type: 'integer' } } }, key_properties: ['id'] },
    { type: 'RECORD_BATCH', stream: 'customers', records: ROWS },
    { type: 'STATE', value: { bookmarks: { customers: { last_pk_fetched: { id: 3 } } } } },
    { type: 'RECORD', stream: 'audit_log', record: { id: 9 } },
  ];
}

async function run(maps: StreamMaps, config: Record<string, unknown> = {}, messages = input()): Promise<SourceMessage[]> {
  const names = (s: string) => (s === 'customers' ? ['customers', 'public-customers'] : [s]);
  const out: SourceMessage[] = [];
  async function* source() {
    yield* messages;
  }
  for await (const m of applyTransforms(source(), [{ transform: streamMapsTransform(maps, { name: 'maps', config, names }) }])) out.push(m);
  return out;
}

const schemaOf = (out: SourceMessage[], stream: string) =>
  out.find((m) => m.type === 'SCHEMA' && m.stream === stream) as Extract<SourceMessage, { type: 'SCHEMA' }> | undefined;
const recordsOf = (out: SourceMessage[], stream: string) =>
  out.flatMap((m) =>
    m.type === 'RECORD_BATCH' && m.stream === stream ? m.records : m.type === 'RECORD' && m.stream === stream ? [m.record] : [],
  );

describe('stream maps', () => {
  it("the issue's example: hash, concatenate, drop a field, filter, alias, drop a stream; STATE passes unchanged", async () => {
    const out = await run({
      'public-customers': {
        email: 'md5(email)',
        full_name: "first_name + ' ' + last_name",
        ssn: '__NULL__',
        __filter__: "country == 'DE'",
        __alias__: 'customers_de',
      },
      'public-audit_log': '__NULL__',
      audit_log: null,
    });
    expect(out.map((m) => `${m.type}:${'stream' in m ? m.stream : ''}`)).toEqual([
      'SCHEMA:customers_de',
      'RECORD_BATCH:customers_de',
      'STATE:',
    ]);
    expect(out[2]).toEqual(input()[3]);
    const schema = schemaOf(out, 'customers_de')!;
    expect(Object.keys(schema.schema.properties!)).toEqual(['id', 'first_name', 'last_name', 'email', 'country', 'balance', 'full_name']);
    expect(schema.schema.properties!['email']).toEqual({ type: ['string', 'null'] });
    expect(schema.schema.properties!['full_name']).toEqual({ type: ['string', 'null'] });
    expect(schema.key_properties).toEqual(['id']);
    // Grace has no last name: str + None is an error in Python, so the whole map would fail — filter first.
    await expect(run({ customers: { full_name: "first_name + ' ' + last_name" } })).rejects.toThrow(
      `transform maps: stream "customers", record id=3, field "full_name": unsupported operand types for +: 'str' and 'None' (in full_name: first_name + ' ' + last_name)`,
    );
  });

  it('computes with exact numbers, hashes with md5 and sha256, reads config, keeps types it can infer', async () => {
    const out = await run(
      {
        customers: {
          balance: 'balance * 2 if balance is not None else None',
          email_hash: "sha256(config['salt'] + email) if email else None",
          email: 'md5(email)',
          initials: "first_name[0] + (last_name[0] if last_name else '')",
          big: 'id * 9007199254740993',
          is_de: "country in ['DE', 'AT']",
          domain: "email.split('@')[-1].upper() if email else None",
          n: 'int(ssn) + len(first_name)',
        },
      },
      { salt: 's3cr3t' },
    );
    const rows = recordsOf(out, 'customers');
    expect(rows[0]).toMatchObject({
      balance: new Decimal('24691357802469134.50'),
      email_hash: sha256('s3cr3tada@example.com'),
      email: md5('ada@example.com'),
      initials: 'AL',
      big: 9007199254740993n,
      is_de: true,
      domain: 'EXAMPLE.COM',
      n: 114,
    });
    expect(rows[1]).toMatchObject({ balance: 7, initials: 'AT', is_de: false });
    expect(rows[2]).toMatchObject({ balance: null, email: null, email_hash: null, initials: 'G', domain: null });
    const props = schemaOf(out, 'customers')!.schema.properties!;
    expect(props['big']).toEqual({ type: ['integer', 'null'] });
    expect(props['is_de']).toEqual({ type: ['boolean', 'null'] });
    expect(props['n']).toEqual({ type: ['integer', 'null'] });
    expect(props['initials']).toEqual({ type: ['string', 'null'] });
  });

  it('__source__ splits a stream in two, __else__ keeps only what is declared (and the key), __key_properties__ replaces the key', async () => {
    const out = await run({
      customers: { email: null, ssn: null },
      customers_pii: { __source__: 'public-customers', email: 'email', ssn: 'ssn', __else__: null },
      customers_hashed: {
        __source__: 'customers',
        id: null,
        id_hash: 'md5(str(id))',
        __key_properties__: ['id_hash'],
        __else__: '__NULL__',
      },
      __else__: null,
    });
    expect(out.filter((m) => m.type === 'SCHEMA').map((m) => (m as { stream: string }).stream)).toEqual([
      'customers',
      'customers_pii',
      'customers_hashed',
    ]);
    expect(Object.keys(schemaOf(out, 'customers_pii')!.schema.properties!)).toEqual(['id', 'email', 'ssn']);
    expect(recordsOf(out, 'customers_pii')[0]).toEqual({ id: 1, email: 'ada@example.com', ssn: '111' });
    expect(schemaOf(out, 'customers_hashed')).toMatchObject({
      key_properties: ['id_hash'],
      schema: { properties: { id_hash: { type: ['string', 'null'] } } },
    });
    expect(recordsOf(out, 'customers_hashed')[1]).toEqual({ id_hash: md5('2') });
    expect(recordsOf(out, 'customers')[0]).not.toHaveProperty('email');
    // __else__: null at the top drops audit_log, which no map names.
    expect(recordsOf(out, 'audit_log')).toEqual([]);
  });

  it('__else__ keeps source metadata (_sdc_*), so a CDC delete still arrives as a delete', async () => {
    const schema = { properties: { ...CUSTOMERS.properties, _sdc_deleted_at: { type: ['string', 'null'], format: 'date-time' } } };
    const out = await run({ customers: { email: 'email', __else__: null } }, {}, [
      { type: 'SCHEMA', stream: 'customers', schema, key_properties: ['id'] },
      { type: 'RECORD', stream: 'customers', record: { id: 7, email: 'x@y', _sdc_deleted_at: '2024-01-01T00:00:00Z' } },
    ]);
    expect(Object.keys(schemaOf(out, 'customers')!.schema.properties!)).toEqual(['id', '_sdc_deleted_at', 'email']);
    expect(recordsOf(out, 'customers')).toEqual([{ id: 7, _sdc_deleted_at: '2024-01-01T00:00:00Z', email: 'x@y' }]);
  });

  it('__key_properties__: null makes the stream keyless; removing the key without it is an error naming the field', async () => {
    const keyless = await run({ customers: { id: null, __key_properties__: null } });
    expect(schemaOf(keyless, 'customers')!.key_properties).toEqual([]);
    await expect(run({ customers: { id: '__NULL__' } })).rejects.toThrow(
      'transform maps: stream "customers", field "id": key property "id" is not in the mapped stream "customers"',
    );
  });

  it('refuses bad maps before any record: syntax, unknown names, unknown operations', async () => {
    await expect(run({ customers: { x: 'first_name +' } })).rejects.toThrow('field "x": expected a value at the end (in x: first_name +)');
    await expect(run({ customers: { x: 'emial.lower()' } })).rejects.toThrow(
      /field "x": unknown name "emial": not a property of the stream \(id, first_name/,
    );
    await expect(run({ customers: { x: "__import__('os')" } })).rejects.toThrow(/unknown function "__import__"/);
    await expect(run({ customers: { x: 'email.__class__()' } })).rejects.toThrow(/'str' has no method '__class__'|has no method/);
    await expect(run({ customers: { __aliass__: 'x' } })).rejects.toThrow('maps: unknown operation __aliass__');
    await expect(run({ customers: 'drop' as never })).rejects.toThrow(/the map of a stream must be an object/);
  });
});

describe('stream map expressions', () => {
  const scope = { properties: { a: { type: 'integer' }, s: { type: 'string' }, d: { type: 'number' } } };
  const evaluate = (text: string, record: Record<string, unknown> = {}) =>
    compileExpression(text, scope).evaluate({ record, self: null, config: {} });

  it('follows Python semantics', () => {
    expect(evaluate('7 // 2')).toBe(3);
    expect(evaluate('-7 // 2')).toBe(-4);
    expect(evaluate('-7 % 3')).toBe(2);
    expect(evaluate('2 ** 10')).toBe(1024);
    expect(evaluate('1 < a < 5', { a: 3 })).toBe(true);
    expect(evaluate("'x' if not s else s.title()", { s: 'hello world' })).toBe('Hello World');
    expect(evaluate('s[1:3] + s[-1]', { s: 'abcdef' })).toBe('bcf');
    expect(evaluate("'ell' in s and s.startswith('h')", { s: 'hello' })).toBe(true);
    expect(evaluate("s or 'default'", { s: '' })).toBe('default');
    expect(evaluate('a is None', {})).toBe(true);
    expect(evaluate('json.dumps(record)', { a: 1, s: 'x' })).toBe('{"a":1,"s":"x"}');
    expect(evaluate("_['s'] + record.get('missing', '!')", { s: 'x' })).toBe('x!');
    expect(evaluate('round(d, 1)', { d: 2.25 })).toBe(2.3);
    expect(evaluate('0.1 + 0.2')).toBe(0.30000000000000004);
    expect(evaluate('str(a) + str(True) + str(None)', { a: 5 })).toBe('5TrueNone');
    expect(evaluate("'a,b,,c'.split(',')")).toEqual(['a', 'b', '', 'c']);
  });

  it('keeps decimals and big integers exact', () => {
    expect(evaluate('d + 0.1', { d: new Decimal('0.20000000000000000001') })).toEqual(new Decimal('0.30000000000000000001'));
    expect(evaluate('a * 3', { a: 9007199254740991 })).toBe(27021597764222973n);
    expect(evaluate('a - 2', { a: 9007199254740993n })).toBe(9007199254740991);
    expect(evaluate('d == 1.5', { d: new Decimal('1.50') })).toBe(true);
  });

  it('hashes the same whether values repeat (remembered digests) or not (the cache gives up)', () => {
    const { evaluate: digest } = compileExpression('md5(s)', scope);
    const { evaluate: unique } = compileExpression('sha256(s)', scope);
    for (let i = 0; i < 20_000; i++) {
      const repeated = `status-${i % 5}`;
      expect(digest({ record: { s: repeated }, self: null, config: {} })).toBe(md5(repeated));
      if (i % 97 === 0) expect(unique({ record: { s: `u${i}` }, self: null, config: {} })).toBe(sha256(`u${i}`));
      else unique({ record: { s: `u${i}` }, self: null, config: {} });
    }
    expect(unique({ record: { s: 'u3' }, self: null, config: {} })).toBe(sha256('u3'));
    expect(digest({ record: { s: 12 }, self: null, config: {} })).toBe(md5('12'));
  });

  it('reports runtime errors Python would raise', () => {
    expect(() => evaluate('s + 1', { s: 'x' })).toThrow("unsupported operand types for +: 'str' and 'int'");
    expect(() => evaluate('a / 0', { a: 1 })).toThrow('division by zero');
    expect(() => evaluate('int(s)', { s: '1.5' })).toThrow('invalid literal for int(): "1.5"');
    expect(() => evaluate("_['nope']", {})).toThrow('key "nope" is not in the dict');
  });
});
