import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { MageError } from '@mage-int/core';

/** Another worker reads this pipeline's change log: a second reader would compete for its slot or binlog position. */
export class ReaderLockedError extends MageError {
  constructor(pipelineId: string, holder: string) {
    super('READER_LOCKED', `the LOG_BASED streams of pipeline "${pipelineId}" are being read by ${holder}`, {
      hint: 'one reader at a time: this task is retried after a pause, and fails if that reader is still going',
    });
  }
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * The lock a LOG_BASED task holds in Redis for its pipeline, whatever the state backend: a worker renews it while it
 * reads, and a killed worker's lock lapses after `ttlMs`, as its job's BullMQ lock does.
 */
export async function acquireReaderLock(redis: Redis, key: string, pipelineId: string, ttlMs: number): Promise<() => Promise<void>> {
  const holder = `worker ${process.pid} on ${hostname()} since ${new Date().toISOString()}`;
  const taken = await redis.set(key, holder, 'PX', ttlMs, 'NX');
  if (taken !== 'OK') throw new ReaderLockedError(pipelineId, (await redis.get(key)) ?? 'another worker');
  const renew = setInterval(
    () => void redis.eval(RENEW, 1, key, holder, String(ttlMs)).catch(() => {}),
    Math.max(250, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  return async () => {
    clearInterval(renew);
    await redis.eval(RELEASE, 1, key, holder);
  };
}
