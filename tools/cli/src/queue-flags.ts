import { BullmqExecutor, DEFAULT_REDIS_URL } from '@mage-int/executor-bullmq';
import { Flags } from '@oclif/core';

/** The flags that name a queue, shared by `worker`, `submit`, `runs` and `schedule`. */
export const queueFlags = {
  redis: Flags.string({
    description: `Redis of the queue: redis://[user:password@]host:port[/db] (rediss:// for TLS). Default: MAGE_INT_REDIS_URL, else ${DEFAULT_REDIS_URL}.`,
    env: 'MAGE_INT_REDIS_URL',
    helpValue: '<url>',
  }),
  prefix: Flags.string({
    description: "Prefix of the queue's Redis keys, to keep separate deployments apart on one Redis.",
    default: 'mage-int',
    helpValue: '<prefix>',
  }),
  queue: Flags.string({ description: 'Name of the queue.', default: 'runs', helpValue: '<name>' }),
};

/** The executor behind the queue the flags name. */
export function executorFor(flags: { redis?: string | undefined; prefix: string; queue: string }): BullmqExecutor {
  return new BullmqExecutor({ ...(flags.redis ? { redis: flags.redis } : {}), prefix: flags.prefix, queue: flags.queue });
}

/** `2026-12-06 08:00:00` in UTC, for run and schedule times. */
export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
