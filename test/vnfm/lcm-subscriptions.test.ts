import { type Json, type StepContext } from '../../platform/index.js';
import { VNF_LCM_OP_OCCS_COLLECTION } from '../../vnfm/lifecycle/lifecycle.js';
import {
  registerVnfLcmSubscriptionRoutes,
  VNF_LCM_NOTIFICATIONS_CHANNEL,
  VnfLcmNotifications,
  type VnfInstanceFacts,
} from '../../vnfm/subscriptions/index.js';
import { ADMIN, TENANT_A, TENANT_B } from '../support/injected-server.js';
import { eventually } from '../nfvo/support/api.js';
import { Gate, LcmNotificationsBench, WAIT_MS, type Body } from '../support/lcm-notifications.js';

const SUBSCRIPTIONS = '/vnflcm/v1/subscriptions';
const OCCURRENCE = 'VnfLcmOperationOccurrenceNotification';
const CREATION = 'VnfIdentifierCreationNotification';
const DELETION = 'VnfIdentifierDeletionNotification';

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
  /** INSTANTIATE is `grant` (stops at the instance's gate), `vnfcs` (fails as `failures` says) and `finalize`; TERMINATE is `grant` and `finalize`. */
  const bench = new LcmNotificationsBench<VnfInstanceFacts, VnfLcmNotifications>({
    name: 'vnflcm-subscriptions',
    api: { name: 'vnflcm', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle management' },
    subscriptionsPath: SUBSCRIPTIONS,
    channel: VNF_LCM_NOTIFICATIONS_CHANNEL,
    occurrenceType: OCCURRENCE,
    instanceIdAttribute: 'vnfInstanceId',
    opOccsCollection: VNF_LCM_OP_OCCS_COLLECTION,
    notifier: (store, outbox, logger) => new VnfLcmNotifications(store, outbox, logger),
    routes: (store, notifications) => registerVnfLcmSubscriptionRoutes({ store, notifications, pageSize: 2 }),
    input: (vnfInstanceId): Json => ({ vnfInstanceId, isAutomaticInvocation: false, request: { flavourId: 'simple' } }),
    define(engine) {
      const grant = {
        name: 'grant',
        onRestart: 'resume' as const,
        async run(ctx: StepContext) {
          await bench.gates.get(ctx.resourceId)?.pass();
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
            const left = bench.failures.get(ctx.resourceId) ?? 0;
            if (left > 0) {
              bench.failures.set(ctx.resourceId, left - 1);
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
    },
  });
  const { instances, gates, failures, request, subscribe, refuse, to, summary, settled, start, run } = bench;

  describe('the subscription resources', () => {
    it('creates a subscription after testing its endpoint, shows, lists (paged, per tenant), answers 303 for a duplicate and deletes it', async () => {
      const filter = { vnfInstanceSubscriptionFilter: { vnfdIds: ['vnfd-crud'] }, notificationTypes: [OCCURRENCE], operationStates: ['COMPLETED'] };
      const created = await request('POST', SUBSCRIPTIONS, { callbackUri: `${bench.callback.url}/crud`, filter });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const self = created.location as string;
      expect(self).toMatch(new RegExp(`${SUBSCRIPTIONS}/${id}$`));
      expect(created.body).toEqual({ id, filter, callbackUri: `${bench.callback.url}/crud`, _links: { self: { href: self } } });
      expect((await request('GET', `${SUBSCRIPTIONS}/${id}`)).body).toEqual(created.body);

      const other = await subscribe('crud-other', { operationTypes: ['INSTANTIATE'] });
      const third = await subscribe('crud-third');
      const firstPage = await request('GET', SUBSCRIPTIONS);
      expect(firstPage.status).toBe(200);
      expect(firstPage.body).toHaveLength(2);
      const filtered = await request('GET', `${SUBSCRIPTIONS}?filter=(eq,callbackUri,${encodeURIComponent(`${bench.callback.url}/crud-other`)})`);
      expect((filtered.body as unknown as Body[]).map((item) => item.id)).toEqual([other]);

      expect((await request('GET', `${SUBSCRIPTIONS}/${id}`, undefined, TENANT_B)).status).toBe(404);
      expect((await request('GET', SUBSCRIPTIONS, undefined, TENANT_B)).body).toEqual([]);
      const byAdmin = await request('GET', `${SUBSCRIPTIONS}?filter=(eq,id,${id})`, undefined, ADMIN);
      expect((byAdmin.body as unknown as Body[]).map((item) => item.id)).toEqual([id]);

      const duplicate = await request('POST', SUBSCRIPTIONS, {
        callbackUri: `${bench.callback.url}/crud`,
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
      expect(await refuse({ filter: {} })).toEqual([{ pointer: '/callbackUri', message: 'is required', in: 'body' }]);
      expect(await refuse({ callbackUri: 'ftp://127.0.0.1/x' })).toEqual([expect.objectContaining({ pointer: '/callbackUri' })]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { vnfInstanceSubscriptionFilter: { colour: ['red'] } } })).toEqual([
        { pointer: '/filter/vnfInstanceSubscriptionFilter/colour', message: 'is not a known attribute', in: 'body' },
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { operationTypes: ['INSTANTIATE', 'EXPLODE'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/operationTypes/1' }),
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { operationStates: ['DONE'] } })).toEqual([expect.objectContaining({ pointer: '/filter/operationStates/0' })]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { notificationTypes: ['VnfPackageOnboardingNotification'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/notificationTypes/0' }),
      ]);
      // operationTypes and operationStates only filter operation occurrence notifications, which this filter excludes.
      expect(await refuse({ callbackUri: bench.callback.url, filter: { notificationTypes: [CREATION], operationTypes: ['INSTANTIATE'], operationStates: ['COMPLETED'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/operationTypes' }),
        expect.objectContaining({ pointer: '/filter/operationStates' }),
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, authentication: { authType: ['BASIC'] } })).toEqual([
        expect.objectContaining({ pointer: '/authentication/paramsBasic' }),
      ]);

      const missing = await request('GET', `${SUBSCRIPTIONS}/no-such-subscription`);
      expect(missing.status).toBe(404);
      expect(missing.contentType).toMatch(/application\/problem\+json/);
      expect(missing.body).toMatchObject({ status: 404, detail: 'No subscription no-such-subscription.' });
      expect((await request('DELETE', `${SUBSCRIPTIONS}/no-such-subscription`)).status).toBe(404);
      expect((await request('GET', `${SUBSCRIPTIONS}?filter=(eq,id`)).body.violations).toEqual([expect.objectContaining({ pointer: '/filter', in: 'query' })]);

      bench.callback.testStatus = 404;
      try {
        const failed = await request('POST', SUBSCRIPTIONS, { callbackUri: `${bench.callback.url}/not-there` });
        expect(failed.status).toBe(422);
        expect(failed.body.detail).toMatch(/answered 404/);
      } finally {
        bench.callback.testStatus = 204;
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
      const started = await start('INSTANTIATE', instance);
      await bench.reached(gate, 'grant');
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
      expect((await bench.engine.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
      await settled();

      const received = to(everything, instance.id);
      expect(summary(received)).toEqual(['INSTANTIATE STARTING START', 'INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT']);
      const [, processing, completed] = received as [Body, Body, Body];
      expect(processing).not.toHaveProperty('affectedVnfcs');
      expect(completed).not.toHaveProperty('error');
      expect(completed.vnfLcmOpOccId).toBe(started.id);
      expect(completed.affectedVnfcs).toEqual([
        expect.objectContaining({ id: `vnfc-${instance.id}`, vduId: 'vdu1', changeType: 'ADDED', affectedVnfcCpIds: [`vnfc-${instance.id}/mgmt`, `vnfc-${instance.id}/data`] }),
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

      await bench.notifications.identifierCreated(instance);
      expect((await run('INSTANTIATE', instance)).state).toBe('COMPLETED');
      await bench.notifications.idle();
      expect((await run('TERMINATE', instance)).state).toBe('COMPLETED');
      await bench.notifications.idle();
      await bench.notifications.identifierDeleted(instance);
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
      const received = await bench.throughFailures({
        retried: facts('inst-retried', 'tenant-a'),
        rolledBack: facts('inst-rolled-back', 'tenant-a'),
        failed: facts('inst-failed', 'tenant-a'),
      });

      expect(summary(received.retried)).toEqual([
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE COMPLETED RESULT',
      ]);
      const failedTemp = received.retried[2] as Body;
      expect(failedTemp.error).toEqual({
        type: 'about:blank',
        title: 'Step failed',
        status: 500,
        detail: 'run of step vnfcs failed: no host has room for vdu1',
        step: 'vnfcs',
      });
      expect(received.retried[4]).not.toHaveProperty('error');

      expect(summary(received.rolledBack)).toEqual([
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE ROLLING_BACK START',
        'INSTANTIATE ROLLED_BACK RESULT',
      ]);
      expect(received.rolledBack[4]).not.toHaveProperty('error');

      expect(summary(received.failed)).toEqual([
        'INSTANTIATE STARTING START',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE FAILED RESULT',
      ]);
      expect((received.failed[3] as Body).error).toMatchObject({ status: 500, detail: 'run of step vnfcs failed: no host has room for vdu1' });
    });

    it('after a restart, neither repeats a notified state nor loses the one reached while nothing listened', async () => {
      const seen = await bench.acrossRestart(facts('inst-restart', 'tenant-a'), 'grant');
      expect(summary(seen.beforeStop)).toEqual(['INSTANTIATE STARTING START']);
      // The operation went on to COMPLETED unobserved.
      expect(summary(seen.whileStopped)).toEqual(['INSTANTIATE STARTING START']);
      // Catching up sends the state reached meanwhile, once; reported again (caught up again, and directly), it is not sent again.
      expect(summary(seen.afterCatchUp)).toEqual(['INSTANTIATE STARTING START', 'INSTANTIATE COMPLETED RESULT']);
      expect(summary(seen.afterRepeats)).toEqual(['INSTANTIATE STARTING START', 'INSTANTIATE COMPLETED RESULT']);
      expect(seen.left).toEqual([]);
    });
  });
});
