import path from 'node:path';
import { createLogger, NotificationOutbox, SqliteStore, StoreConflictError, type Entity, type OutboxEntry } from '../../platform/index.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { eventually } from './support/api.js';
import { CallbackServer } from './support/callback-server.js';

interface Resource extends Entity {
  state: string;
}

const FAST = { firstDelayMs: 40, maxDelayMs: 160, maxAttempts: 3, pollIntervalMs: 100, requestTimeoutMs: 2000 };

describe('the durable notification outbox (platform/notifications)', () => {
  let dir: string;
  let store: SqliteStore;
  let callback: CallbackServer;
  let other: CallbackServer;
  const outboxes: NotificationOutbox[] = [];

  const outbox = (channel = 'test'): NotificationOutbox => {
    const created = new NotificationOutbox(store, createLogger('silent'), channel, FAST);
    outboxes.push(created);
    return created;
  };
  const entry = (subscriptionId: string, sequence: number, server = callback): OutboxEntry => ({
    subscriptionId,
    tenantId: 'tenant-a',
    callbackUri: server.url,
    notification: { id: `${subscriptionId}-${sequence}`, subscriptionId, sequence },
  });

  beforeEach(async () => {
    dir = makeTempDir('outbox');
    store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
    callback = await CallbackServer.start();
    other = await CallbackServer.start();
  });
  afterEach(async () => {
    for (const created of outboxes.splice(0)) await created.stop();
    await callback.close();
    await other.close();
    await store.close();
    removeTempDir(dir);
  });

  it('enqueues in the same commit as the change it reports: both or neither', async () => {
    const resources = store.collection<Resource>({ name: 'resources', indexes: [] });
    const notifications = outbox();
    await store.commit([resources.insertWrite({ id: 'r1', tenantId: 'tenant-a', state: 'A' }), ...notifications.enqueue([entry('s1', 1)])]);
    expect(await notifications.list({ state: 'PENDING' })).toHaveLength(1);
    const stale = store.commit([resources.updateWrite({ id: 'r1', tenantId: 'tenant-a', state: 'B' }, 7), ...notifications.enqueue([entry('s1', 2)])]);
    await expect(stale).rejects.toBeInstanceOf(StoreConflictError);
    expect((await notifications.list()).map((delivery) => delivery.notification.sequence)).toEqual([1]);
    notifications.start();
    await eventually(async () => (callback.delivered.length === 1 ? true : undefined));
    expect(await notifications.list()).toEqual([]);
  });

  it('delivers the notifications of one subscription in order, through failures and retries', async () => {
    const notifications = outbox();
    callback.failing = true;
    await store.commit(notifications.enqueue([1, 2, 3].map((sequence) => entry('ordered', sequence))));
    await store.commit(notifications.enqueue([4, 5].map((sequence) => entry('ordered', sequence))));
    notifications.start();
    await eventually(async () => (callback.attempts.length >= 2 ? true : undefined));
    callback.failing = false;
    await eventually(async () => (callback.delivered.length === 5 ? true : undefined));
    expect(callback.delivered.map((body) => body.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(callback.attempts.filter((attempt) => attempt.status === 503).map((attempt) => attempt.body.sequence))).toEqual(new Set([1]));
  });

  it('gives up after the last attempt, keeps the delivery as FAILED, and goes on with the next one', async () => {
    const notifications = outbox();
    await store.commit(notifications.enqueue([entry('doomed', 1, other), entry('doomed', 2, callback), entry('fine', 1, callback)]));
    other.failing = true;
    notifications.start();
    await eventually(async () => (callback.delivered.length === 2 ? true : undefined));
    expect(other.attempts.map((attempt) => attempt.status)).toEqual([503, 503, 503]);
    const [failed] = await notifications.list({ state: 'FAILED' });
    expect(failed).toMatchObject({ subscriptionId: 'doomed', attempts: 3, lastError: expect.stringMatching(/answered 503/), failedAt: expect.any(String) });
    expect(callback.delivered.map((body) => body.id).sort()).toEqual(['doomed-2', 'fine-1']);
  });

  it('does not let a failing subscription hold back the others', async () => {
    const notifications = outbox();
    other.failing = true;
    await store.commit(notifications.enqueue([entry('slow', 1, other), entry('quick', 1), entry('quick', 2)]));
    notifications.start();
    await eventually(async () => (callback.delivered.length === 2 ? true : undefined), 1500, 'the quick subscription');
    expect(other.delivered).toEqual([]);
  });

  it('keeps pending deliveries while stopped and sends them when started again', async () => {
    const first = outbox();
    first.start();
    await first.stop();
    await store.commit(first.enqueue([entry('later', 1)]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(callback.attempts).toEqual([]);
    const second = outbox();
    second.start();
    await eventually(async () => (callback.delivered.length === 1 ? true : undefined));
  });

  it('discards what is pending for a subscription, and keeps channels apart', async () => {
    const mine = outbox('mine');
    const theirs = outbox('theirs');
    await store.commit([...mine.enqueue([entry('gone', 1), entry('kept', 1)]), ...theirs.enqueue([entry('gone', 9)])]);
    await store.commit(await mine.discard('gone'));
    expect((await mine.list()).map((delivery) => delivery.subscriptionId)).toEqual(['kept']);
    expect((await theirs.list()).map((delivery) => delivery.notification.sequence)).toEqual([9]);
    mine.start();
    await eventually(async () => (callback.delivered.length === 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(callback.delivered.map((body) => body.id)).toEqual(['kept-1']);
  });
});
