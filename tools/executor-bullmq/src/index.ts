/** @mage-int/executor-bullmq — distributed runs on BullMQ (Redis): `mage-int worker`, `submit`, `runs`, `schedule`. */
export { BullmqExecutor } from './bullmq-executor.js';
export { startWorker, redactedUrl, type WorkerOptions, type RunningWorker } from './worker.js';
export { ReaderLockedError } from './reader-lock.js';
export {
  DEFAULT_REDIS_URL,
  resolveQueueConfig,
  type QueueConfig,
  type RunJobData,
  type TaskJobData,
  type TaskJobResult,
} from './queue-config.js';
