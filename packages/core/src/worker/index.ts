export {
  createWorker,
  type TickResult,
  type Worker,
  type WorkerChannel,
  type WorkerObserver,
  type WorkerOptions,
} from './create-worker.js';
export { RESPONSE_EXCERPT_BYTES } from './deliver.js';
export { type RemindersResult, runReminders } from './reminders.js';
export {
  DEFAULT_RETRY_SCHEDULE,
  MAX_RETRY_AFTER_MS,
  nextRetryDelay,
  parseRetryAfter,
} from './retry-schedule.js';
export { runScheduledEvents, type ScheduledEventsResult } from './scheduled-events.js';
export { signWebhook } from './signature.js';
export {
  checkWebhookUrl,
  createWebhookFetch,
  nonPublicRange,
  type WebhookAddressPolicy,
} from './webhook-address.js';
