import type { RecordData, SourceStream, StreamBatch, StreamSync } from '@mage-int/core';
import type { StripeConnection } from './stripe-client.js';
import { changedObjects, EVENTS_BOOKMARK, listPages, planRead, type StripeStreamSettings } from './stripe-stream.js';
import { STREAMS, SUBSCRIPTION_ITEMS, type StripeStreamDefinition } from './streams.js';

const subscriptions = STREAMS.find((s) => s.name === SUBSCRIPTION_ITEMS.parent) as StripeStreamDefinition;

/**
 * subscription_items, a child of subscriptions: the items each subscription object carries (and the rest of
 * them from `GET /v1/subscription_items?subscription=…` when a subscription has more than a page). It follows
 * its parent's reads: subscriptions created since the bookmark, then the subscriptions that `customer.subscription.*`
 * events changed, whose items are emitted again in their new state. One bookmark serves the whole stream (the
 * parent's `created` and events position) instead of one per subscription, so an incremental sync costs a few
 * requests, not one per subscription ever made.
 */
export class SubscriptionItemsStream implements SourceStream {
  readonly name = SUBSCRIPTION_ITEMS.name;
  readonly keyProperties = ['id'] as const;
  readonly replicationKey = 'created';
  readonly validReplicationKeys = ['created'] as const;
  readonly lookback: number;

  constructor(
    private readonly connection: StripeConnection,
    private readonly settings: StripeStreamSettings,
  ) {
    this.lookback = settings.lookback;
  }

  async *read(sync: StreamSync): AsyncGenerator<StreamBatch> {
    const { settings, connection } = this;
    const plan = planRead(sync, true, settings);
    const listed = new Set<string>();
    const params = { ...subscriptions.params, ...(plan.created ? { created: plan.created } : {}) };
    const parent = { ...subscriptions, name: this.name, path: '/v1/subscriptions' };
    for await (const page of listPages(connection, parent, params, settings.pageSize, sync.signal)) {
      for (const subscription of page) listed.add(String(subscription['id']));
      yield { records: await this.itemsOf(page, sync.signal), time_extracted: new Date().toISOString() };
    }
    if (plan.eventsFrom !== undefined) {
      for await (const changes of changedObjects(connection, this.name, subscriptions, plan.eventsFrom, settings.pageSize, sync.signal)) {
        const changed = changes.filter((c) => !listed.has(String(c.record['id'])) || c.at >= plan.startedAt).map((c) => c.record);
        const records = await this.itemsOf(changed, sync.signal);
        if (records.length > 0) yield { records, time_extracted: new Date().toISOString() };
      }
    }
    if (sync.method === 'INCREMENTAL') yield { records: [], bookmark: { [EVENTS_BOOKMARK]: plan.startedAt } };
  }

  /** The items of these subscriptions, each with its subscription's id. */
  private async itemsOf(subscriptionRecords: RecordData[], signal: AbortSignal): Promise<RecordData[]> {
    const out: RecordData[] = [];
    for (const subscription of subscriptionRecords) {
      const items = subscription['items'] as { data?: RecordData[]; has_more?: boolean } | undefined;
      if (!items?.has_more) {
        out.push(...(items?.data ?? []));
        continue;
      }
      const child = {
        name: this.name,
        path: '/v1/subscription_items',
        list: SUBSCRIPTION_ITEMS.list,
        permission: SUBSCRIPTION_ITEMS.permission,
      };
      for await (const page of listPages(this.connection, child, { subscription: subscription['id'] }, this.settings.pageSize, signal))
        out.push(...page);
    }
    return out;
  }
}
