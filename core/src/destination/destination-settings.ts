import settings from '../../destination-settings.json' with { type: 'json' };
import type { JsonSchema } from '../protocol/json-schema.js';
import type { WriteContext } from '../connector/contract.js';

/**
 * The settings every destination names alike (core/destination-settings.json holds their schema and wording;
 * the connector codegen copies them into each spec.json and README). A destination's generated Config has
 * these fields when its spec lists them.
 */
export interface DestinationSettings {
  batch_size_rows?: number;
  batch_size_bytes?: number;
  batch_max_age_seconds?: number;
  hard_delete?: boolean;
  add_record_metadata?: boolean;
  interpret_content_encoding?: boolean;
  batch_dir?: string;
}

/** The shared settings' JSON Schemas, by name (without defaults: each destination picks its own). */
export const DESTINATION_SETTINGS: Readonly<Record<keyof DestinationSettings, JsonSchema>> = settings.properties;

/** When a destination commits: whichever limit is reached first. */
export interface BatchPolicy {
  maxRows: number;
  maxBytes: number;
  /** Age of the oldest uncommitted record at which a commit happens on a timer; Infinity: never by age. */
  maxAgeMs: number;
}

/** The limits when a config leaves them out (a programmatic caller that skipped validation). */
export const DEFAULT_BATCH_POLICY: BatchPolicy = { maxRows: 100_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 };

/**
 * The commit policy of a destination config. `ctx.maxLagSeconds` (follow mode) shortens the age limit, so
 * a change waits at most that long; it also applies when the config turned the age limit off.
 */
export function batchPolicy(
  config: DestinationSettings,
  ctx: Pick<WriteContext, 'maxLagSeconds'> = {},
  defaults: BatchPolicy = DEFAULT_BATCH_POLICY,
): BatchPolicy {
  const ageSeconds = config.batch_max_age_seconds;
  let maxAgeMs = ageSeconds === undefined ? defaults.maxAgeMs : ageSeconds > 0 ? ageSeconds * 1000 : Number.POSITIVE_INFINITY;
  if (ctx.maxLagSeconds !== undefined && ctx.maxLagSeconds >= 0) maxAgeMs = Math.min(maxAgeMs, ctx.maxLagSeconds * 1000);
  return {
    maxRows: config.batch_size_rows ?? defaults.maxRows,
    maxBytes: config.batch_size_bytes ?? defaults.maxBytes,
    maxAgeMs,
  };
}
