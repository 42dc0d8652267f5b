import path from 'node:path';
import {
  createLogger,
  NotificationOutbox,
  OperationEngine,
  registerEtsiApi,
  SqliteStore,
  type Json,
  type Operation,
  type StepContext,
} from '../../platform/index.js';
import { VNF_LCM_OP_OCCS_COLLECTION } from '../../vnfm/lifecycle/lifecycle.js';
import {
  registerVnfLcmSubscriptionRoutes,
  VNF_LCM_NOTIFICATIONS_CHANNEL,
  VnfLcmNotifications,
  type VnfInstanceFacts,
} from '../../vnfm/subscriptions/index.js';
import { eventually } from '../nfvo/support/api.js';
import { CallbackServer } from '../nfvo/support/callback-server.js';
import { ADMIN, startInjectedServer, TENANT_A, TENANT_B, type InjectedServer } from '../support/injected-server.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

type Body = Record<string, any>;

const SUBSCRIPTIONS = '/vnflcm/v1/subscriptions';
const OCCURRENCE = 'VnfLcmOperationOccurrenceNotification';
const CREATION = 'VnfIdentifierCreationNotification';
const DELETION = 'VnfIdentifierDeletionNotification';
const WAIT_MS = 10_000;

/** A point the `grant` step of an instance stops at until the test opens it. */
class Gate {
  private release: () => void = () => undefined;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  reached = false;
  open(): void {
    this.release();
  }
  async pass(): Promise<void> {
    this.reached = true;
    await this.opened;
  }
}

function facts(id: string, tenantId: string, extra: Partial<VnfInstanceFacts> = {}): VnfInstanceFacts {
  return {
    id,
    tenantId,
    vnfdId: 'vnfd-fw',
    vnfProvider: 'Example',
    vnfProductName: 'Firewall',
    vnfSoftwareVersion: '1.0',
    vnfdVersion: '1.0',
    vnfInstanceName: `name-of-${id}`,
    ...extra,
  };
}

describe('VNF LCM subscriptions and notifications', () => {
  let dir: string;
  let store: SqliteStore;
  let server: InjectedServer<void>;
  let engine: OperationEngine;
  let outbox: NotificationOutbox;
  let notifications: VnfLcmNotifications;
  let callback: CallbackServer;
  const instances = new Map<string, VnfInstanceFacts>();
  const gates = new Map<string, Gate>();
  /** How many more times the `vnfcs` step of an instance fails. */
  const failures = new Map<string, number>();
  const instanceOf = async (id: string) => instances.get(id);

  const request = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, token = TENANT_A) => {
    const response = await server.app.inject({
      method,
      url,
      headers: { 'x-auth-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      location: response.headers.location as string | undefined,
      contentType: String(response.headers['content-type'] ?? ''),
      body: (response.body === '' ? {} : JSON.parse(response.body)) as Body,
    };
  };

  const subscribe = async (name: string, filter?: Body, token = TENANT_A): Promise<string> => {
    const created = await request('POST', SUBSCRIPTIONS, { callbackUri: `${callback.url}/${name}`, ...(filter === undefined ? {} : { filter }) }, token);
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  /** Notifications delivered to a subscription, about one instance. */
  const to = (subscriptionId: string, vnfInstanceId: string): Body[] =>
    callback.delivered.filter((body) => body.subscriptionId === subscriptionId && body.vnfInstanceId === vnfInstanceId);

  /** [type or operation, state, status] of each notification, compact for comparisons. */
  const summary = (bodies: Body[]): string[] =>
    bodies.map((body) =>
      body.notificationType === OCCURRENCE ? `${body.operation} ${body.operationState} ${body.notificationStatus}` : body.notificationType,
    );

  /** Waits until every reported change is in the outbox and the outbox has delivered everything. */
  const settled = async (): Promise<void> => {
    await notifications.idle();
    await eventually(async () => ((await outbox.list({ state: 'PENDING' })).length === 0 ? true : undefined), WAIT_MS, 'the outbox to empty');
  };

  const input = (vnfInstanceId: string): Json => ({ vnfInstanceId, isAutomaticInvocation: false, request: { flavourId: 'simple' } });

  const run = async (kind: 'INSTANTIATE' | 'TERMINATE', instance: VnfInstanceFacts): Promise<Operation> => {
    const started = await engine.start(kind, instance.id, input(instance.id), { tenantId: instance.tenantId });
    return engine.waitFor(started.id, WAIT_MS);
  };

  beforeAll(async () => {
    dir = makeTempDir('vnflcm-subscriptions');
    store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
    const logger = createLogger('silent');
    outbox = new NotificationOutbox(store, logger, VNF_LCM_NOTIFICATIONS_CHANNEL, { firstDelayMs: 50, pollIntervalMs: 100 });
    notifications = new VnfLcmNotifications(store, outbox, logger);
    engine = new OperationEngine({ store, logger, collection: VNF_LCM_OP_OCCS_COLLECTION });
    const grant = {
      name: 'grant',
      onRestart: 'resume' as const,
      async run(ctx: StepContext) {
        await gates.get(ctx.resourceId)?.pass();
        return { grantId: `grant-${ctx.operationId}` };
      },
    };
    const finalize = { name: 'finalize', onRestart: 'resume' as const, async run() {} };
    engine.define('INSTANTIATE', [
      grant,
      {
        name: 'vnfcs',
        onRestart: 'resume',
        async run(ctx) {
          const left = failures.get(ctx.resourceId) ?? 0;
          if (left > 0) {
            failures.set(ctx.resourceId, left - 1);
            throw new Error('no host has room for vdu1');
          }
          const vnfcs: Json = [
            {
              id: `vnfc-${ctx.resourceId}`,
              vduId: 'vdu1',
              ports: [
                { cpdId: 'mgmt', portId: `port-mgmt-${ctx.resourceId}` },
                { cpdId: 'data', portId: `port-data-${ctx.resourceId}`, extCpdId: 'ext-data' },
              ],
            },
          ];
          return vnfcs;
        },
        async compensate() {},
      },
      finalize,
    ]);
    engine.define('TERMINATE', [grant, finalize]);
    notifications.attach(engine, instanceOf);
    outbox.start();
    callback = await CallbackServer.start();
    server = await startInjectedServer(store, async (app) => {
      await registerEtsiApi(app, { name: 'vnflcm', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle management' }, async (scope) => {
        await scope.register(registerVnfLcmSubscriptionRoutes({ store, notifications, pageSize: 2 }));
      });
    });
  });

  afterAll(async () => {
    notifications.detach();
    // A test that failed half way may have left an operation waiting at its gate.
    for (const gate of gates.values()) gate.open();
    await engine.close();
    await notifications.idle();
    await outbox.stop();
    await server.close();
    await callback.close();
    removeTempDir(dir);
  });

  describe('the subscription resources', () => {
    it('creates a subscription after testing its endpoint, shows, lists (paged, per tenant), answers 303 for a duplicate and deletes it', async () => {
      const filter = { vnfInstanceSubscriptionFilter: { vnfdIds: ['vnfd-crud'] }, notificationTypes: [OCCURRENCE], operationStates: ['COMPLETED'] };
      const created = await request('POST', SUBSCRIPTIONS, { callbackUri: `${callback.url}/crud`, filter });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const self = created.location as string;
      expect(self).toMatch(new RegExp(`${SUBSCRIPTIONS}/${id}$`));
      expect(created.body).toEqual({ id, filter, callbackUri: `${callback.url}/crud`, _links: { self: { href: self } } });
      expect((await request('GET', `${SUBSCRIPTIONS}/${id}`)).body).toEqual(created.body);

      const other = await subscribe('crud-other', { operationTypes: ['INSTANTIATE'] });
      const third = await subscribe('crud-third');
      const firstPage = await request('GET', SUBSCRIPTIONS);
      expect(firstPage.status).toBe(200);
      expect(firstPage.body).toHaveLength(2);
      const filtered = await request('GET', `${SUBSCRIPTIONS}?filter=(eq,callbackUri,${encodeURIComponent(`${callback.url}/crud-other`)})`);
      expect((filtered.body as unknown as Body[]).map((item) => item.id)).toEqual([other]);

      expect((await request('GET', `${SUBSCRIPTIONS}/${id}`, undefined, TENANT_B)).status).toBe(404);
      expect((await request('GET', SUBSCRIPTIONS, undefined, TENANT_B)).body).toEqual([]);
      const byAdmin = await request('GET', `${SUBSCRIPTIONS}?filter=(eq,id,${id})`, undefined, ADMIN);
      expect((byAdmin.body as unknown as Body[]).map((item) => item.id)).toEqual([id]);

      const duplicate = await request('POST', SUBSCRIPTIONS, {
        callbackUri: `${callback.url}/crud`,
        filter: { operationStates: ['COMPLETED'], notificationTypes: [OCCURRENCE], vnfInstanceSubscriptionFilter: { vnfdIds: ['vnfd-crud'] } },
      });
      expect(duplicate.status).toBe(303);
      expect(duplicate.location).toBe(self);

      for (const subscriptionId of [id, other, third]) {
        expect((await request('DELETE', `${SUBSCRIPTIONS}/${subscriptionId}`)).status).toBe(204);
        expect((await request('GET', `${SUBSCRIPTIONS}/${subscriptionId}`)).status).toBe(404);
      }
      expect((await request('GET', SUBSCRIPTIONS)).body).toEqual([]);
    });

    it('refuses bad requests with ProblemDetails pointing at the fault, and an endpoint that fails its test with 422, creating nothing', async () => {
      const refuse = async (body: unknown) => {
        const answer = await request('POST', SUBSCRIPTIONS, body);
        expect(answer.status).toBe(400);
        expect(answer.contentType).toMatch(/application\/problem\+json/);
        return answer.body.violations as Body[];
      };
      expect(await refuse({ filter: {} })).toEqual([{ pointer: '/callbackUri', message: 'is required', in: 'body' }]);
      expect(await refuse({ callbackUri: 'ftp://127.0.0.1/x' })).toEqual([expect.objectContaining({ pointer: '/callbackUri' })]);
      expect(await refuse({ callbackUri: callback.url, filter: { vnfInstanceSubscriptionFilter: { colour: ['red'] } } })).toEqual([
        { pointer: '/filter/vnfInstanceSubscriptionFilter/colour', message: 'is not a known attribute', in: 'body' },
      ]);
      expect(await refuse({ callbackUri: callback.url, filter: { operationTypes: ['INSTANTIATE', 'EXPLODE'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/operationTypes/1' }),
      ]);
      expect(await refuse({ callbackUri: callback.url, filter: { operationStates: ['DONE'] } })).toEqual([expect.objectContaining({ pointer: '/filter/operationStates/0' })]);
      expect(await refuse({ callbackUri: callback.url, filter: { notificationTypes: ['VnfPackageOnboardingNotification'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/notificationTypes/0' }),
      ]);
      // operationTypes and operationStates only filter operation occurrence notifications, which this filter excludes.
      expect(await refuse({ callbackUri: callback.url, filter: { notificationTypes: [CREATION], operationTypes: ['INSTANTIATE'], operationStates: ['COMPLETED'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/operationTypes' }),
        expect.objectContaining({ pointer: '/filter/operationStates' }),
      ]);
      expect(await refuse({ callbackUri: callback.url, authentication: { authType: ['BASIC'] } })).toEqual([
        expect.objectContaining({ pointer: '/authentication/paramsBasic' }),
      ]);

      const missing = await request('GET', `${SUBSCRIPTIONS}/no-such-subscription`);
      expect(missing.status).toBe(404);
      expect(missing.contentType).toMatch(/application\/problem\+json/);
      expect(missing.body).toMatchObject({ status: 404, detail: 'No subscription no-such-subscription.' });
      expect((await request('DELETE', `${SUBSCRIPTIONS}/no-such-subscription`)).status).toBe(404);
      expect((await request('GET', `${SUBSCRIPTIONS}?filter=(eq,id`)).body.violations).toEqual([expect.objectContaining({ pointer: '/filter', in: 'query' })]);

      callback.testStatus = 404;
      try {
        const failed = await request('POST', SUBSCRIPTIONS, { callbackUri: `${callback.url}/not-there` });
        expect(failed.status).toBe(422);
        expect(failed.body.detail).toMatch(/answered 404/);
      } finally {
        callback.testStatus = 204;
      }
      expect((await request('GET', SUBSCRIPTIONS, undefined, ADMIN)).body).toEqual([]);
    });
  });

  describe('notifications', () => {
    it('notifies START on STARTING and PROCESSING and RESULT on COMPLETED, once each however many steps change, with the changed resources', async () => {
      const everything = await subscribe('sequence', undefined, TENANT_A);
      const instance = facts('inst-sequence', 'tenant-a');
      instances.set(instance.id, instance);
      const gate = new Gate();
      gates.set(instance.id, gate);
      const started = await engine.start('INSTANTIATE', instance.id, input(instance.id), { tenantId: instance.tenantId });
      await eventually(async () => (gate.reached ? true : undefined), WAIT_MS, 'the grant step');
      const starting = await eventually(async () => to(everything, instance.id)[0], WAIT_MS, 'the STARTING notification');
      expect(starting).toEqual({
        id: expect.any(String),
        notificationType: OCCURRENCE,
        subscriptionId: everything,
        timeStamp: expect.any(String),
        notificationStatus: 'START',
        operationState: 'STARTING',
        vnfInstanceId: instance.id,
        operation: 'INSTANTIATE',
        isAutomaticInvocation: false,
        verbosity: 'FULL',
        vnfLcmOpOccId: started.id,
        _links: {
          vnfInstance: { href: expect.stringMatching(new RegExp(`/vnflcm/v1/vnf_instances/${instance.id}$`)) },
          subscription: { href: expect.stringMatching(new RegExp(`${SUBSCRIPTIONS}/${everything}$`)) },
          vnfLcmOpOcc: { href: expect.stringMatching(new RegExp(`/vnflcm/v1/vnf_lcm_op_occs/${started.id}$`)) },
        },
      });
      gate.open();
      expect((await engine.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
      await settled();

      const received = to(everything, instance.id);
      expect(summary(received)).toEqual(['INSTANTIATE STARTING START', 'INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT']);
      const [, processing, completed] = received as [Body, Body, Body];
      expect(processing).not.toHaveProperty('affectedVnfcs');
      expect(completed).not.toHaveProperty('error');
      expect(completed.vnfLcmOpOccId).toBe(started.id);
      expect(completed.affectedVnfcs).toEqual([
        expect.objectContaining({ id: `vnfc-${instance.id}`, vduId: 'vdu1', changeType: 'ADDED', affectedVnfcCpIds: ['mgmt', 'data'] }),
      ]);
      expect(completed.affectedExtLinkPorts).toEqual([expect.objectContaining({ id: `port-data-${instance.id}`, changeType: 'ADDED' })]);
      expect(completed).not.toHaveProperty('affectedVirtualLinks');
      expect(new Set(received.map((body) => body.id)).size).toBe(3);
    });

    it('filters by operation type, operation state, notification type, instance, product and tenant', async () => {
      const instance = facts('inst-filtered', 'tenant-a', { vnfInstanceName: 'fw-filtered' });
      instances.set(instance.id, instance);
      const subscriptions = {
        everything: await subscribe('f-everything'),
        terminate: await subscribe('f-terminate', { operationTypes: ['TERMINATE'] }),
        completed: await subscribe('f-completed', { operationStates: ['COMPLETED'] }),
        creation: await subscribe('f-creation', { notificationTypes: [CREATION] }),
        otherInstance: await subscribe('f-other-instance', { vnfInstanceSubscriptionFilter: { vnfInstanceIds: ['someone-else'] } }),
        byName: await subscribe('f-by-name', { vnfInstanceSubscriptionFilter: { vnfInstanceNames: ['fw-filtered'] }, operationTypes: ['INSTANTIATE'] }),
        byProduct: await subscribe('f-by-product', {
          vnfInstanceSubscriptionFilter: { vnfProductsFromProviders: [{ vnfProvider: 'Example', vnfProducts: [{ vnfProductName: 'Firewall', versions: [{ vnfSoftwareVersion: '1.0', vnfdVersions: ['1.0'] }] }] }] },
          notificationTypes: [DELETION],
        }),
        otherVersion: await subscribe('f-other-version', {
          vnfInstanceSubscriptionFilter: { vnfProductsFromProviders: [{ vnfProvider: 'Example', vnfProducts: [{ vnfProductName: 'Firewall', versions: [{ vnfSoftwareVersion: '2.0' }] }] }] },
        }),
        ofTenantB: await subscribe('f-tenant-b', undefined, TENANT_B),
        ofAdmin: await subscribe('f-admin', { vnfInstanceSubscriptionFilter: { vnfdIds: ['vnfd-fw'] }, operationStates: ['STARTING'] }, ADMIN),
      };

      await notifications.identifierCreated(instance);
      expect((await run('INSTANTIATE', instance)).state).toBe('COMPLETED');
      await notifications.idle();
      expect((await run('TERMINATE', instance)).state).toBe('COMPLETED');
      await notifications.idle();
      await notifications.identifierDeleted(instance);
      await settled();

      const of = (name: keyof typeof subscriptions) => summary(to(subscriptions[name], instance.id));
      expect(of('everything')).toEqual([
        CREATION,
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE COMPLETED RESULT',
        'TERMINATE STARTING START',
        'TERMINATE PROCESSING START',
        'TERMINATE COMPLETED RESULT',
        DELETION,
      ]);
      // operationTypes and operationStates leave identifier notifications through (they filter occurrences only).
      expect(of('terminate')).toEqual([CREATION, 'TERMINATE STARTING START', 'TERMINATE PROCESSING START', 'TERMINATE COMPLETED RESULT', DELETION]);
      expect(of('completed')).toEqual([CREATION, 'INSTANTIATE COMPLETED RESULT', 'TERMINATE COMPLETED RESULT', DELETION]);
      expect(of('creation')).toEqual([CREATION]);
      expect(of('otherInstance')).toEqual([]);
      expect(of('byName')).toEqual([CREATION, 'INSTANTIATE STARTING START', 'INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT', DELETION]);
      expect(of('byProduct')).toEqual([DELETION]);
      expect(of('otherVersion')).toEqual([]);
      expect(of('ofTenantB')).toEqual([]);
      expect(of('ofAdmin')).toEqual([CREATION, 'INSTANTIATE STARTING START', 'TERMINATE STARTING START', DELETION]);

      // One notification, one id, whatever the number of subscriptions it went to.
      const completedIds = new Set(
        [subscriptions.everything, subscriptions.completed, subscriptions.byName].map(
          (id) => to(id, instance.id).find((body) => body.operation === 'INSTANTIATE' && body.operationState === 'COMPLETED')?.id,
        ),
      );
      expect(completedIds.size).toBe(1);
      const [created] = to(subscriptions.creation, instance.id) as [Body];
      expect(created).toEqual({
        id: expect.any(String),
        notificationType: CREATION,
        subscriptionId: subscriptions.creation,
        timeStamp: expect.any(String),
        vnfInstanceId: instance.id,
        _links: {
          vnfInstance: { href: expect.stringMatching(new RegExp(`/vnflcm/v1/vnf_instances/${instance.id}$`)) },
          subscription: { href: expect.stringMatching(new RegExp(`${SUBSCRIPTIONS}/${subscriptions.creation}$`)) },
        },
      });
      expect(to(subscriptions.byProduct, instance.id)[0]).toMatchObject({ notificationType: DELETION, vnfInstanceId: instance.id });

      for (const id of Object.values(subscriptions)) expect((await request('DELETE', `${SUBSCRIPTIONS}/${id}`, undefined, ADMIN)).status).toBe(204);
    });

    it('notifies FAILED_TEMP with its error, PROCESSING again after a retry, ROLLING_BACK and ROLLED_BACK, and FAILED with its error', async () => {
      const everything = await subscribe('failures');
      const retried = facts('inst-retried', 'tenant-a');
      const rolledBack = facts('inst-rolled-back', 'tenant-a');
      const failed = facts('inst-failed', 'tenant-a');
      for (const instance of [retried, rolledBack, failed]) {
        instances.set(instance.id, instance);
        failures.set(instance.id, 1);
      }

      const first = await run('INSTANTIATE', retried);
      expect(first.state).toBe('FAILED_TEMP');
      await engine.retry(first.id);
      expect((await engine.waitFor(first.id, WAIT_MS)).state).toBe('COMPLETED');

      const second = await run('INSTANTIATE', rolledBack);
      await engine.rollback(second.id);
      expect((await engine.waitFor(second.id, WAIT_MS)).state).toBe('ROLLED_BACK');

      const third = await run('INSTANTIATE', failed);
      await engine.fail(third.id);
      await settled();

      expect(summary(to(everything, retried.id))).toEqual([
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE COMPLETED RESULT',
      ]);
      const failedTemp = to(everything, retried.id)[2] as Body;
      expect(failedTemp.error).toEqual({
        type: 'about:blank',
        title: 'Step failed',
        status: 500,
        detail: 'run of step vnfcs failed: no host has room for vdu1',
        step: 'vnfcs',
      });
      expect(to(everything, retried.id)[4]).not.toHaveProperty('error');

      expect(summary(to(everything, rolledBack.id))).toEqual([
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE ROLLING_BACK START',
        'INSTANTIATE ROLLED_BACK RESULT',
      ]);
      expect(to(everything, rolledBack.id)[4]).not.toHaveProperty('error');

      expect(summary(to(everything, failed.id))).toEqual([
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE FAILED RESULT',
      ]);
      expect((to(everything, failed.id)[3] as Body).error).toMatchObject({ status: 500, detail: 'run of step vnfcs failed: no host has room for vdu1' });
      expect((await request('DELETE', `${SUBSCRIPTIONS}/${everything}`)).status).toBe(204);
    });

    it('after a restart, neither repeats a notified state nor loses the one reached while nothing listened', async () => {
      const everything = await subscribe('restart');
      const instance = facts('inst-restart', 'tenant-a');
      instances.set(instance.id, instance);
      const gate = new Gate();
      gates.set(instance.id, gate);
      const started = await engine.start('INSTANTIATE', instance.id, input(instance.id), { tenantId: instance.tenantId });
      await eventually(async () => (gate.reached ? true : undefined), WAIT_MS, 'the grant step');
      await settled();
      expect(summary(to(everything, instance.id))).toEqual(['INSTANTIATE STARTING START']);

      // The process "stops" listening: the operation goes on to COMPLETED unobserved.
      notifications.detach();
      gate.open();
      expect((await engine.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
      await settled();
      expect(summary(to(everything, instance.id))).toEqual(['INSTANTIATE STARTING START']);

      // Another notifier over the same store, as after a restart: catching up sends the state reached meanwhile, once.
      const restarted = new VnfLcmNotifications(store, outbox, createLogger('silent'));
      restarted.attach(engine, instanceOf);
      await restarted.catchUp();
      await restarted.idle();
      await settled();
      expect(summary(to(everything, instance.id))).toEqual(['INSTANTIATE STARTING START', 'INSTANTIATE COMPLETED RESULT']);

      // Reported again (caught up again, and directly): already notified, so not sent again.
      await restarted.catchUp();
      await restarted.operationChanged((await engine.get(started.id)) as Operation, instance);
      await restarted.idle();
      restarted.detach();
      notifications.attach(engine, instanceOf);
      await settled();
      expect(summary(to(everything, instance.id))).toEqual(['INSTANTIATE STARTING START', 'INSTANTIATE COMPLETED RESULT']);
      expect((await outbox.list()).filter((delivery) => delivery.subscriptionId === everything)).toEqual([]);
      expect((await request('DELETE', `${SUBSCRIPTIONS}/${everything}`)).status).toBe(204);
    });
  });
});
