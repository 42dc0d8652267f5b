import crypto from 'node:crypto';
import type { Logger } from '../logger.js';
import type { CollectionSpec, Entity, Repository, Store, Versioned, Write } from '../store/contract.js';
import { StoreConflictError } from '../store/contract.js';
import { postNotification } from './callback.js';

/**
 * A durable outbox for notifications to subscribers.
 *
 * A context that changes state and owes subscribers a notification puts `enqueue(...)`'s writes into the same
 * `store.commit` as the state change, so the notification exists exactly when the change does. A dispatcher
 * then POSTs each pending delivery to its callback URI, retrying with exponential backoff up to a bounded number
 * of attempts, after which the delivery is marked FAILED (kept, and logged). Deliveries to one subscription go
 * out one at a time in the order they were enqueued; different subscriptions do not wait for each other.
 *
 * Guarantee: at least once. A delivery is removed only after its callback answered 2xx, so a restart between
 * that answer and the removal sends it again; the notification's `id` stays the same on every attempt, which
 * lets receivers drop repeats.
 */

export type DeliveryState = 'PENDING' | 'FAILED';

export interface NotificationDelivery extends Entity {
  /** The outbox that owns it: one dispatcher per channel, so contexts never deliver each other's notifications. */
  channel: string;
  subscriptionId: string;
  callbackUri: string;
  /** The `Authorization` header value the subscriber asked for, if any. */
  authorization?: string;
  notification: Record<string, unknown>;
  state: DeliveryState;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  lastError?: string;
  failedAt?: string;
}

/** What a context hands the outbox: one notification for one subscription. */
export interface OutboxEntry {
  subscriptionId: string;
  tenantId: string;
  callbackUri: string;
  authorization?: string | undefined;
  notification: Record<string, unknown>;
}

export interface RetryPolicy {
  /** Attempts before a delivery is marked FAILED. */
  maxAttempts: number;
  /** Wait after the first failed attempt; each further failure doubles it, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** How long one POST may take. */
  requestTimeoutMs: number;
  /** How often the dispatcher looks for work when nothing woke it. */
  pollIntervalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  firstDelayMs: 1000,
  maxDelayMs: 5 * 60 * 1000,
  requestTimeoutMs: 10_000,
  pollIntervalMs: 5000,
};

export const NOTIFICATION_DELIVERIES: CollectionSpec = { name: 'notification_deliveries', indexes: ['channel', 'state', 'subscriptionId'] };

const SCAN_LIMIT = 1000;

export class NotificationOutbox {
  private readonly deliveries: Repository<NotificationDelivery>;
  private readonly policy: RetryPolicy;
  private readonly logger: Logger;
  private sequence = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private wakeRequested = false;
  private inFlight = new AbortController();

  constructor(
    store: Store,
    logger: Logger,
    readonly channel: string,
    policy: Partial<RetryPolicy> = {},
  ) {
    this.deliveries = store.collection<NotificationDelivery>(NOTIFICATION_DELIVERIES);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
    this.logger = logger.child({ outbox: channel });
  }

  /** Writes that enqueue the entries; commit them with the state change they report, then call `wake`. */
  enqueue(entries: readonly OutboxEntry[]): Write[] {
    const now = new Date().toISOString();
    return entries.map((entry) => {
      const delivery: NotificationDelivery = {
        id: this.nextId(),
        tenantId: entry.tenantId,
        channel: this.channel,
        subscriptionId: entry.subscriptionId,
        callbackUri: entry.callbackUri,
        notification: entry.notification,
        state: 'PENDING',
        attempts: 0,
        createdAt: now,
        nextAttemptAt: now,
      };
      if (entry.authorization !== undefined) delivery.authorization = entry.authorization;
      return this.deliveries.insertWrite(delivery);
    });
  }

  /** Writes that drop what is still pending for a subscription (commit them with the subscription's deletion). */
  async discard(subscriptionId: string): Promise<Write[]> {
    const pending = await this.deliveries.query({ where: { channel: this.channel, subscriptionId, state: 'PENDING' } });
    return pending.map(({ value, revision }) => this.deliveries.deleteWrite(value.id, revision));
  }

  /** Deliveries of this outbox, oldest first (for operators and tests). */
  async list(where: { state?: DeliveryState; subscriptionId?: string } = {}): Promise<NotificationDelivery[]> {
    const found = await this.deliveries.query({ where: { channel: this.channel, ...where } });
    return found.map(({ value }) => value);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.inFlight = new AbortController();
    this.wake();
  }

  /** Looks for work now (call after committing enqueued writes). */
  wake(): void {
    if (!this.running) return;
    if (this.pass) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops dispatching; a POST under way is abandoned without being counted, so it is sent again after a restart. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight.abort();
    await this.pass?.catch(() => undefined);
  }

  private nextId(): string {
    // Ids sort in enqueue order (the store lists in id order), which is what keeps deliveries in order.
    this.sequence = (this.sequence + 1) % 36 ** 5;
    const time = Date.now().toString(36).padStart(9, '0');
    return `${time}${this.sequence.toString(36).padStart(5, '0')}-${crypto.randomBytes(4).toString('hex')}`;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pass = this.dispatch()
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'notification dispatch failed; retrying later');
          return this.policy.pollIntervalMs;
        })
        .then((nextDelay) => {
          this.pass = undefined;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : nextDelay);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One round: the oldest pending delivery of each subscription, if due. Answers how long to wait for the next. */
  private async dispatch(): Promise<number> {
    const pending = await this.deliveries.query({ where: { channel: this.channel, state: 'PENDING' }, limit: SCAN_LIMIT });
    const heads = new Map<string, Versioned<NotificationDelivery>>();
    for (const delivery of pending) {
      if (!heads.has(delivery.value.subscriptionId)) heads.set(delivery.value.subscriptionId, delivery);
    }
    const now = Date.now();
    const due = [...heads.values()].filter(({ value }) => Date.parse(value.nextAttemptAt) <= now);
    const waiting = [...heads.values()].filter(({ value }) => Date.parse(value.nextAttemptAt) > now);
    const retryDelays = await Promise.all(due.map((delivery) => this.attempt(delivery)));
    if (retryDelays.some((delay) => delay === 0) && this.running) return 0;
    const waits = [...waiting.map(({ value }) => Date.parse(value.nextAttemptAt) - now), ...retryDelays, this.policy.pollIntervalMs];
    return Math.max(Math.min(...waits), 0);
  }

  /** Answers how long until this subscription's next attempt: 0 when the delivery is done (delivered or failed for good). */
  private async attempt({ value: delivery, revision }: Versioned<NotificationDelivery>): Promise<number> {
    const outcome = await postNotification(
      delivery.callbackUri,
      delivery.notification,
      delivery.authorization,
      this.policy.requestTimeoutMs,
      this.inFlight.signal,
    );
    if (!this.running && !outcome.ok) return this.policy.pollIntervalMs;
    const log = { deliveryId: delivery.id, subscriptionId: delivery.subscriptionId, notificationId: delivery.notification.id };
    try {
      if (outcome.ok) {
        await this.deliveries.delete(delivery.id, revision);
        this.logger.debug({ ...log, attempts: delivery.attempts + 1 }, 'notification delivered');
        return 0;
      }
      const attempts = delivery.attempts + 1;
      if (attempts >= this.policy.maxAttempts) {
        await this.deliveries.update({ ...delivery, attempts, state: 'FAILED', lastError: outcome.reason, failedAt: new Date().toISOString() }, revision);
        this.logger.error({ ...log, attempts, reason: outcome.reason }, 'notification delivery failed for good');
        return 0;
      }
      const delayMs = Math.min(this.policy.firstDelayMs * 2 ** (attempts - 1), this.policy.maxDelayMs);
      await this.deliveries.update(
        { ...delivery, attempts, lastError: outcome.reason, nextAttemptAt: new Date(Date.now() + delayMs).toISOString() },
        revision,
      );
      this.logger.warn({ ...log, attempts, retryInMs: delayMs, reason: outcome.reason }, 'notification delivery failed; will retry');
      return delayMs;
    } catch (error) {
      // The subscription was deleted meanwhile (its deliveries discarded): nothing is left to record.
      if (error instanceof StoreConflictError) return 0;
      throw error;
    }
  }
}
