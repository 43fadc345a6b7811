import type { JsonSchema, RecordData } from '@mage-int/core';
import { cumulativeWeights, RecordRandom, streamKey } from '../prng.js';
import { DAY, INTERVAL_MS, type FakerSettings } from '../settings.js';
import { COUNTRIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, type Country } from '../words.js';
import { createdAtMs, isoTimestamp, TIMESTAMP, type FakerStream } from './faker-stream.js';

export const CUSTOMER_TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
const TIER_WEIGHTS = cumulativeWeights([55, 30, 12, 3]);
const COUNTRY_WEIGHTS = cumulativeWeights(COUNTRIES.map((c) => c.weight));
const LOWER_FIRST = FIRST_NAMES.map((n) => n.toLowerCase());
const LOWER_LAST = LAST_NAMES.map((n) => n.toLowerCase());

/** A customer changes its profile at most 3 times, all within 180 days of signing up. */
const MAX_UPDATES = 3;
const UPDATE_WINDOW_MS = 180 * DAY;

const schema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1 },
    name: { type: 'string' },
    email: { type: 'string', format: 'email' },
    phone: { type: ['null', 'string'] },
    country: { type: 'string', minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2 code' },
    city: { type: 'string' },
    tier: { type: 'string', enum: [...CUSTOMER_TIERS] },
    marketing_opt_in: { type: 'boolean' },
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  },
};

/** People who sign up one every ~5 simulated minutes, then now and then upgrade their tier or change their mind about e-mails. */
export class CustomersStream implements FakerStream {
  readonly name = 'customers' as const;
  readonly schema = schema;
  readonly intervalMs = INTERVAL_MS.customers;
  readonly firstMs: number;
  readonly maxUpdateLagMs = UPDATE_WINDOW_MS;
  lastCreatedMs = 0;
  lastUpdatedMs = 0;
  private readonly key: number;
  private readonly random = new RecordRandom();

  constructor(private readonly settings: FakerSettings) {
    this.key = streamKey(settings.seed, this.name);
    this.firstMs = settings.firstMs.customers;
  }

  record(id: number): RecordData {
    const r = this.random.seed(this.key, id);
    const created = createdAtMs(this.firstMs, this.intervalMs, id, r.float());
    const first = r.int(FIRST_NAMES.length);
    const last = r.int(LAST_NAMES.length);
    const country = COUNTRIES[r.weighted(COUNTRY_WEIGHTS)] as Country;
    const city = r.pick(country.cities);
    const domain = r.pick(EMAIL_DOMAINS);
    const phone = r.float() < 0.85 ? `+${country.phonePrefix} ${r.between(200, 999)} ${r.between(1_000_000, 9_999_999)}` : null;
    let tier = r.weighted(TIER_WEIGHTS);
    let optIn = r.float() < 0.45;

    // Profile updates at increasing times; those after the data set's "now" have not happened yet.
    let updated = created;
    const updates = r.int(MAX_UPDATES + 1);
    let at = created;
    for (let k = 0; k < updates; k++) {
      at += 1 + r.int(UPDATE_WINDOW_MS / MAX_UPDATES - 1);
      const upgrade = r.float() < 0.5;
      if (at > this.settings.nowMs.customers) break;
      updated = at;
      if (upgrade) tier = Math.min(CUSTOMER_TIERS.length - 1, tier + 1);
      else optIn = !optIn;
    }

    this.lastCreatedMs = created;
    this.lastUpdatedMs = updated;
    return {
      id,
      name: `${FIRST_NAMES[first] as string} ${LAST_NAMES[last] as string}`,
      email: `${LOWER_FIRST[first] as string}.${LOWER_LAST[last] as string}${id}@${domain}`,
      phone,
      country: country.code,
      city,
      tier: CUSTOMER_TIERS[tier],
      marketing_opt_in: optIn,
      created_at: isoTimestamp(created),
      updated_at: isoTimestamp(updated),
    };
  }
}
