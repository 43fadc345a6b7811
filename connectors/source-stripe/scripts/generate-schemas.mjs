// Writes src/stream-schemas.ts: the JSON Schema of each stream's record, read from the official SDK's type
// declarations (node_modules/stripe/esm/resources/*.d.ts, themselves generated from Stripe's OpenAPI spec), so
// field names and nullability follow Stripe's API reference. Run after upgrading `stripe`:
//   node connectors/source-stripe/scripts/generate-schemas.mjs
// Numbers: the declarations say `number` for both; Stripe's spec types every amount, count and timestamp as an
// integer, and the few decimal fields are listed in DECIMALS (checked against the spec's `"type": "number"`).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// The package's root: its main entry sits in esm/ or cjs/ (package.json is not exported).
const sdk = join(dirname(require.resolve('stripe')), '..', 'esm', 'resources');

/** stream → [declaration file, interface]. */
const STREAMS = {
  balance_transactions: ['BalanceTransactions', 'BalanceTransaction'],
  charges: ['Charges', 'Charge'],
  coupons: ['Coupons', 'Coupon'],
  customers: ['Customers', 'Customer'],
  disputes: ['Disputes', 'Dispute'],
  events: ['Events', 'EventBase'],
  invoice_items: ['InvoiceItems', 'InvoiceItem'],
  invoices: ['Invoices', 'Invoice'],
  payment_intents: ['PaymentIntents', 'PaymentIntent'],
  payouts: ['Payouts', 'Payout'],
  plans: ['Plans', 'Plan'],
  prices: ['Prices', 'Price'],
  products: ['Products', 'Product'],
  refunds: ['Refunds', 'Refund'],
  subscription_items: ['SubscriptionItems', 'SubscriptionItem'],
  subscriptions: ['Subscriptions', 'Subscription'],
};

/** Top-level fields Stripe's spec types `number` (decimals), not `integer`. */
const DECIMALS = new Set(['coupons.percent_off', 'balance_transactions.exchange_rate', 'subscriptions.application_fee_percent']);

const shared = readFileSync(join(sdk, '..', 'shared.d.ts'), 'utf8');

/** The text of every `type <name> = …;` alias in a declaration file. */
function aliases(text, name) {
  const found = [];
  const re = new RegExp(`\\btype ${name}(?:<[^=]*>)? = ([^;]*);`, 'g');
  for (const match of text.matchAll(re)) found.push(match[1]);
  return found;
}

/** Splits `A | B<C | D> | {…}` at its top-level bars. */
function splitUnion(text) {
  const parts = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if ('<({['.includes(char)) depth++;
    if ('>)}]'.includes(char)) depth--;
    if (char === '|' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** The JSON kinds a declared type may take: null, string, number, boolean, array, object, decimal, void. */
function kinds(text, file, seen = new Set()) {
  const out = new Set();
  for (const part of splitUnion(text)) {
    if (part === 'null' || part === 'undefined') out.add('null');
    else if (part === 'void') out.add('void');
    else if (part === 'string' || /^'.*'$/.test(part) || part.startsWith('string &')) out.add('string');
    else if (part === 'number' || /^-?\d/.test(part)) out.add('number');
    else if (part === 'boolean' || part === 'true' || part === 'false') out.add('boolean');
    else if (part === 'Decimal') out.add('decimal');
    else if (/^Array<|\[\]$/.test(part)) out.add('array');
    else if (part.startsWith('{')) out.add('object');
    else {
      const name = part.replace(/<.*$/, '').split('.').at(-1);
      if (seen.has(name)) throw new Error(`recursive alias ${name}`);
      const found = [...aliases(file, name), ...aliases(shared, name)];
      if (found.length === 0)
        out.add('object'); // an interface
      else {
        const each = found.map((alias) => [...kinds(alias, file, new Set([...seen, name]))].sort().join(','));
        if (new Set(each).size > 1) throw new Error(`alias ${name} is ambiguous: ${each.join(' / ')}`);
        for (const kind of each[0].split(',')) out.add(kind);
      }
    }
  }
  return out;
}

/** The members of `export interface <name> {…}`: [name, optional, type text], four-space indented. */
function members(file, name) {
  const start = file.indexOf(`export interface ${name} {`);
  if (start < 0) throw new Error(`no interface ${name}`);
  const lines = file.slice(start).split('\n');
  const out = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '}') break;
    const match = /^ {4}(\w+)(\??): (.*)$/.exec(line);
    if (!match) continue;
    let type = match[3];
    if (type.endsWith(';')) type = type.slice(0, -1);
    else type = '{'; // an inline object spanning lines
    out.push([match[1], match[2] === '?', type]);
  }
  return out;
}

const result = {};
for (const [stream, [fileName, name]] of Object.entries(STREAMS)) {
  const file = readFileSync(join(sdk, `${fileName}.d.ts`), 'utf8');
  const properties = {};
  for (const [field, optional, text] of members(file, name).sort((a, b) => a[0].localeCompare(b[0]))) {
    const found = kinds(text, file);
    if (found.has('void')) continue; // `deleted?: void`: only on deleted objects, which come as `_sdc_deleted_at`
    const nullable = found.has('null') || optional;
    found.delete('null');
    let schema;
    if (found.has('decimal'))
      schema = { type: 'string' }; // Stripe sends decimals as strings ("12.5")
    else if (found.has('string') && found.has('object'))
      schema = { type: 'string' }; // an expandable reference: its id
    else if (found.has('array')) schema = { type: 'array', items: {} };
    else if (found.has('object')) schema = { type: 'object' };
    else if (found.size !== 1) throw new Error(`${stream}.${field}: mixed types ${[...found]}`);
    else if (found.has('number')) schema = { type: DECIMALS.has(`${stream}.${field}`) ? 'number' : 'integer' };
    else schema = { type: [...found][0] };
    properties[field] = field === 'id' ? schema : { ...schema, type: nullable ? ['null', schema.type] : schema.type };
  }
  result[stream] = properties;
}
const header = `// Generated by scripts/generate-schemas.mjs from the stripe SDK's type declarations (Stripe's API reference). Do not edit.
import type { JsonSchema } from '@mage-int/core';

/** Each stream's record fields. */
export const STREAM_SCHEMAS: Record<string, Record<string, JsonSchema>> = `;
writeFileSync(join(here, '..', 'src', 'stream-schemas.ts'), `${header}${JSON.stringify(result, null, 2)};\n`);
for (const [stream, props] of Object.entries(result)) {
  const numbers = Object.entries(props).filter(([, s]) => [s.type].flat().some((t) => t === 'integer' || t === 'number'));
  console.log(stream, Object.keys(props).length, 'fields; numeric:', numbers.map(([n, s]) => `${n}:${[s.type].flat().at(-1)}`).join(' '));
}
