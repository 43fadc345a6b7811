import type {
  FilterOperatorEnum,
  SimplePublicObject,
  SimplePublicObjectWithAssociations,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { RecordData, SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import { call, type HubSpotConnection } from './hubspot-client.js';
import { PROPERTY_PREFIX, propertyValue, type PropertyDefinition } from './properties.js';
import { propertyOfColumn, type CrmObjectDefinition } from './streams.js';

/** The search API returns at most this many results of one query (paging past them answers 400). */
export const SEARCH_RESULT_CAP = 10_000;

/** Settings every CRM object stream shares. */
export interface CrmStreamSettings {
  /** Search page size (1–200). */
  pageSize: number;
  /** start_date, ISO. */
  startValue?: string;
  /** The search cap (HubSpot's 10,000; tests lower it). */
  searchCap?: number;
  /** How far behind now the read stops (search_lag_seconds), in ms. */
  lagMs: number;
  /** The clock in epoch ms (tests move it). */
  now?: () => number;
}

type HubSpotObject = SimplePublicObject | SimplePublicObjectWithAssociations;

/**
 * One CRM object type (contacts, deals, calls, …) as a stream, keyed by `id`, INCREMENTAL on `updatedAt`.
 * Records come from the CRM search API: those last modified (`hs_lastmodifieddate`, `lastmodifieddate` for
 * contacts) from the bookmark up to `search_lag_seconds` before the run began (the search index lags behind
 * changes), oldest first. A query returns at most 10,000 results,
 * so a time window whose `total` exceeds that is split in halves until each fits (down to one millisecond).
 * Then, on INCREMENTAL syncs, the records archived in the same window (`GET …?archived=true`) are emitted with
 * `_sdc_deleted_at`. FULL_TABLE reads the same way from start_date (or the beginning), without the archived pass.
 */
export class CrmObjectStream implements SourceStream {
  readonly name: string;
  readonly keyProperties = ['id'] as const;
  readonly replicationKey = 'updatedAt';
  readonly validReplicationKeys = ['updatedAt'] as const;
  readonly startValue?: string;

  constructor(
    private readonly connection: HubSpotConnection,
    private readonly definition: CrmObjectDefinition,
    private readonly settings: CrmStreamSettings,
  ) {
    this.name = definition.name;
    this.startValue = settings.startValue;
  }

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const schemas = sync.entry.schema.properties ?? {};
    const properties = sync.fields
      .map((field) => propertyOfColumn(field, schemas[field]))
      .filter((p): p is PropertyDefinition => p !== undefined);
    const hi = (this.settings.now ?? Date.now)() - this.settings.lagMs;
    const start = sync.method === 'INCREMENTAL' ? sync.start : this.settings.startValue;
    const lo = start === undefined || start === null ? 0 : Date.parse(String(start));
    const names = properties.map((p) => p.name);
    for await (const page of this.window(lo, hi, names, sync)) {
      yield { records: page.map((object) => this.record(object, properties)), time_extracted: new Date().toISOString() };
    }
    if (sync.method === 'INCREMENTAL') {
      for await (const page of this.archived(names, sync.signal)) {
        const records = page
          .filter((object) => {
            const at = object.archivedAt?.getTime();
            return at !== undefined && at >= lo && at < hi;
          })
          .map((object) => ({ ...this.record(object, properties), _sdc_deleted_at: (object.archivedAt as Date).toISOString() }));
        if (records.length > 0) yield { records, time_extracted: new Date().toISOString() };
      }
    }
  }

  /** Search pages of records last modified in [lo, hi), oldest first, splitting windows that hold more than the cap. */
  private async *window(lo: number, hi: number, properties: string[], sync: StreamSync): AsyncGenerator<HubSpotObject[]> {
    const { connection, definition, settings } = this;
    const cap = settings.searchCap ?? SEARCH_RESULT_CAP;
    const site = { stream: definition.name, request: `POST /crm/v3/objects/${definition.objectType}/search`, scope: definition.scope };
    let after: string | undefined;
    for (;;) {
      sync.signal.throwIfAborted();
      const request = {
        filterGroups: [
          {
            filters: [
              { propertyName: definition.modified, operator: 'GTE' as FilterOperatorEnum, value: String(lo) },
              { propertyName: definition.modified, operator: 'LT' as FilterOperatorEnum, value: String(hi) },
            ],
          },
        ],
        // HubSpot takes sort objects; the SDK's model types `sorts` as strings and passes them through as given.
        sorts: [{ propertyName: definition.modified, direction: 'ASCENDING' }] as unknown as string[],
        properties,
        limit: settings.pageSize,
        ...(after === undefined ? {} : { after }),
      };
      const page = await call(connection, site, () => connection.search.doSearch(definition.objectType, request));
      if (after === undefined && page.total > cap) {
        if (hi - lo > 1) {
          const mid = lo + Math.floor((hi - lo) / 2);
          sync.logger.debug(
            `${definition.name}: ${page.total} records changed in ${iso(lo)} – ${iso(hi)}, more than the search API returns (${cap}); splitting the window at ${iso(mid)}`,
            { stream: definition.name },
          );
          yield* this.window(lo, mid, properties, sync);
          yield* this.window(mid, hi, properties, sync);
          return;
        }
        sync.logger.warn(
          `${definition.name}: ${page.total} records were last modified in the same millisecond (${iso(lo)}); the search API returns only the first ${cap} of them`,
          { stream: definition.name },
        );
      }
      yield page.results;
      after = page.paging?.next?.after;
      if (after === undefined || Number(after) >= cap) return;
    }
  }

  /** Pages of archived records (`GET /crm/v3/objects/{type}?archived=true`), by `after`. */
  private async *archived(properties: string[], signal: AbortSignal): AsyncGenerator<HubSpotObject[]> {
    const { connection, definition, settings } = this;
    const site = {
      stream: definition.name,
      request: `GET /crm/v3/objects/${definition.objectType}?archived=true`,
      scope: definition.scope,
    };
    let after: string | undefined;
    do {
      signal.throwIfAborted();
      const page = await call(connection, site, () =>
        connection.objects.getPage(definition.objectType, Math.min(100, settings.pageSize), after, properties, undefined, undefined, true),
      );
      yield page.results;
      after = page.paging?.next?.after;
    } while (after !== undefined);
  }

  private record(object: HubSpotObject, properties: readonly PropertyDefinition[]): RecordData {
    const record: RecordData = {
      id: object.id,
      createdAt: isoOf(object.createdAt),
      updatedAt: isoOf(object.updatedAt),
      archived: object.archived ?? false,
      archivedAt: isoOf(object.archivedAt),
    };
    const site = { stream: this.definition.name, record: object.id };
    for (const property of properties)
      record[`${PROPERTY_PREFIX}${property.name}`] = propertyValue(property, object.properties[property.name], site);
    return record;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOf(value: Date | string | undefined): string | null {
  if (value === undefined || value === null) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
