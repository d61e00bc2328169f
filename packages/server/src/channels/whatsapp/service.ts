/**
 * The WhatsApp channel of one server process: the webhook's processing, the right-after-commit
 * sends (tracked, so they can be awaited), and the worker channel that sends the rest and queues
 * reward notifications.
 */
import type { KeyObject } from 'node:crypto';
import type { Engine, Store, WorkerChannel } from '@laas/core';
import type { Logger } from 'pino';
import { resolveWhatsAppClient, type WhatsAppClientConfig } from '../../config.js';
import { receiveShared, sharedHandshake } from '../shared/whatsapp.js';
import { type DeliveryContext, type DrainResult, drainQueued } from './delivery.js';
import { notifyOutboxEvent } from './notifications.js';
import { parseSecretKey } from './secret-box.js';
import {
  type NotificationResult,
  receiveNotification,
  verifyHandshake,
  type WebhookContext,
} from './webhook.js';

/** The channel of each app `createServer` built (so that shutting down can await its sends). */
export const whatsAppOfApp = new WeakMap<object, WhatsAppChannel>();

/** Options of {@link createWhatsAppChannel}. */
export interface WhatsAppChannelOptions {
  engine: Engine;
  /** Default `engine.store`. */
  store?: Store;
  /** `LAAS_SECRET_KEY` (a string as in the environment, or a parsed key). */
  secretKey?: string | KeyObject | undefined;
  client?: WhatsAppClientConfig;
  logger?: Logger | undefined;
  /** Default the real time. */
  clock?: () => Date;
  /**
   * Told each message's direction and status (metrics); `source` is `send` when an outbound
   * message ends a send attempt in that status (`sent`, `queued` for a retry, `failed`).
   */
  observe?: (direction: 'in' | 'out', status: string, source?: 'send') => void;
}

export interface WhatsAppChannel {
  /** The challenge to answer a verification handshake with, or null (answer 403). */
  handshake(query: {
    mode?: string | undefined;
    token?: string | undefined;
    challenge?: string | undefined;
  }): Promise<string | null>;
  /**
   * Verifies and processes a notification; replies are queued in each message's transaction
   * and sent in the background right after (see {@link WhatsAppChannel.flush}).
   */
  receive(raw: Uint8Array, signature: string | undefined): Promise<NotificationResult>;
  /** Sends the tenant's due queued messages now. */
  drain(tenantId: string): Promise<DrainResult>;
  /** Resolves when the background sends started so far have ended. */
  flush(): Promise<void>;
  /** For `createWorker({ channels: [...] })`: notifications and the sending of what is queued. */
  readonly worker: WorkerChannel;
}

/**
 * The WhatsApp Cloud API channel.
 *
 * @example
 * const whatsapp = createWhatsAppChannel({ engine, secretKey: process.env.LAAS_SECRET_KEY });
 * const worker = createWorker({ engine, channels: [whatsapp.worker] });
 */
export function createWhatsAppChannel(options: WhatsAppChannelOptions): WhatsAppChannel {
  const store = options.store ?? options.engine.store;
  const clock = options.clock ?? (() => new Date());
  const secretKey =
    typeof options.secretKey === 'string' && options.secretKey !== ''
      ? parseSecretKey(options.secretKey)
      : typeof options.secretKey === 'object'
        ? options.secretKey
        : undefined;
  const client = resolveWhatsAppClient(options.client);
  const delivery: DeliveryContext = {
    store,
    client,
    secretKey,
    clock,
    logger: options.logger,
    observe: options.observe,
  };
  const webhook: WebhookContext = {
    engine: options.engine,
    store,
    secretKey,
    clock,
    logger: options.logger,
    observe: options.observe,
  };
  const inFlight = new Set<Promise<unknown>>();

  const sendSoon = (tenantId: string): void => {
    const p = drainQueued(delivery, tenantId).catch((error: unknown) => {
      // The worker sends it later: the message is still queued (or leased until the lease ends).
      options.logger?.warn(
        { tenant: tenantId, err: { message: error instanceof Error ? error.message : String(error) } },
        'whatsapp immediate send failed; the worker will retry',
      );
    });
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };

  const track = (p: Promise<unknown>): void => {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };
  const shared = { engine: options.engine, store, secretKey, client, clock, logger: options.logger, track };

  return {
    handshake: async (query) => (await sharedHandshake(store, query)) ?? verifyHandshake(store, query),
    async receive(raw, signature) {
      // The platform's shared number first (docs/shared-channels.md); null when not named.
      const viaShared = await receiveShared(shared, raw, signature);
      if (viaShared !== null) return viaShared.verified ? { ...viaShared, tenantsToSend: [] } : viaShared;
      const result = await receiveNotification(webhook, raw, signature);
      if (result.verified) for (const tenantId of result.tenantsToSend) sendSoon(tenantId);
      return result;
    },
    drain: (tenantId) => drainQueued(delivery, tenantId),
    async flush() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    worker: {
      name: 'whatsapp',
      onOutboxEvent: (tx, event) => notifyOutboxEvent(tx, event, clock()),
      async tick(tenant, now) {
        // The worker's clock decides what is due (tests move it); sending stamps real times.
        await drainQueued({ ...delivery, clock: () => now }, tenant.id);
      },
    },
  };
}
