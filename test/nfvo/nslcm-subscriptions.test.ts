/**
 * SOL 005 NS lifecycle change subscriptions and notifications: the subscription resources over the platform's
 * HTTP server, and the notifications of a real operation engine (toy INSTANTIATE and TERMINATE with the NS
 * lifecycle's step names and outputs) delivered through the durable `nslcm` outbox to a real callback server.
 */
import type { NfvoModule } from '../../nfvo/index.js';
import { NS_INSTANCES, NS_LCM_OP_OCCS_COLLECTION, type NsInstance } from '../../nfvo/nslcm/model.js';
import {
  NS_LCM_NOTIFICATIONS_CHANNEL,
  NsLcmNotifications,
  nsLcmSubscriptionRoutes,
  type NsVnfProfileFact,
} from '../../nfvo/nslcm/subscriptions/index.js';
import type { StepContext } from '../../platform/index.js';
import { ADMIN, TENANT_B } from '../support/injected-server.js';
import { Gate, LcmNotificationsBench, WAIT_MS, type Body } from '../support/lcm-notifications.js';
import { eventually, startWithApis } from './support/api.js';
import { CallbackServer } from './support/callback-server.js';

const SUBSCRIPTIONS = '/nslcm/v1/subscriptions';
const OCCURRENCE = 'NsLcmOperationOccurrenceNotification';
const CREATION = 'NsIdentifierCreationNotification';
const DELETION = 'NsIdentifierDeletionNotification';

const PROFILES: Record<string, NsVnfProfileFact[]> = {
  'nsd-web': [
    { vnfProfileId: 'fw', vnfdId: 'vnfd-fw' },
    { vnfProfileId: 'lb', vnfdId: 'vnfd-lb' },
  ],
  'nsd-other': [{ vnfProfileId: 'dpi', vnfdId: 'vnfd-dpi' }],
};

function nsInstance(id: string, tenantId: string, extra: Partial<NsInstance> = {}): NsInstance {
  return {
    id,
    tenantId,
    nsInstanceName: `name-of-${id}`,
    nsInstanceDescription: '',
    nsdId: 'nsd-web',
    nsdInfoId: `info-${extra.nsdId ?? 'nsd-web'}`,
    nsState: 'NOT_INSTANTIATED',
    vnfs: [],
    virtualLinks: [],
    saps: [],
    vnffgs: [],
    createdAt: new Date().toISOString(),
    ...extra,
  };
}

describe('NS LCM subscriptions and notifications', () => {
  const vnfProfilesOf = async (instance: NsInstance) => PROFILES[instance.nsdId];
  /**
   * INSTANTIATE has the NS lifecycle's steps and outputs (`virtual-links` stops at the instance's gate, `vnfs`
   * fails as `failures` says); TERMINATE has its steps, doing nothing.
   */
  const bench = new LcmNotificationsBench<NsInstance, NsLcmNotifications>({
    name: 'nslcm-subscriptions',
    api: { name: 'nslcm', majorVersion: 1, version: '2.1.0', title: 'SOL 005 NS lifecycle management' },
    subscriptionsPath: SUBSCRIPTIONS,
    channel: NS_LCM_NOTIFICATIONS_CHANNEL,
    occurrenceType: OCCURRENCE,
    instanceIdAttribute: 'nsInstanceId',
    opOccsCollection: NS_LCM_OP_OCCS_COLLECTION,
    notifier: (store, outbox, logger) => new NsLcmNotifications(store, outbox, logger, { vnfProfilesOf }),
    routes: (store, notifications) => nsLcmSubscriptionRoutes({ store, notifications, pageSize: 2 }),
    input: (nsInstanceId) => ({
      nsInstanceId,
      request: { nsFlavourId: 'default', additionalParamsForVnf: [{ vnfProfileId: 'fw', vnfInstanceName: 'my-fw' }] },
    }),
    define(engine) {
      const nothing = async () => undefined;
      engine.define('INSTANTIATE', [
        {
          name: 'virtual-links',
          onRestart: 'resume',
          async run(ctx: StepContext) {
            await bench.gates.get(ctx.resourceId)?.pass();
            return [
              { nsVirtualLinkDescId: 'vl-ext', networkId: `net-ext-${ctx.resourceId}` },
              { nsVirtualLinkDescId: 'vl-data', networkId: `net-data-${ctx.resourceId}` },
            ];
          },
          compensate: nothing,
        },
        {
          name: 'saps',
          onRestart: 'resume',
          async run(ctx) {
            return [{ sapdId: 'ext', sapName: 'ext-sap', portId: `sap-port-${ctx.resourceId}`, networkId: `net-ext-${ctx.resourceId}`, macAddress: 'fa:16:3e:00:00:01', addresses: ['198.18.0.1'] }];
          },
          compensate: nothing,
        },
        {
          name: 'vnfs',
          onRestart: 'resume',
          async run(ctx) {
            const left = bench.failures.get(ctx.resourceId) ?? 0;
            if (left > 0) {
              bench.failures.set(ctx.resourceId, left - 1);
              throw new Error('VNF fw did not instantiate: no host has room');
            }
            return [
              { vnfProfileId: 'fw', vnfInstanceId: `vnf-fw-${ctx.resourceId}` },
              { vnfProfileId: 'lb', vnfInstanceId: `vnf-lb-${ctx.resourceId}` },
            ];
          },
          compensate: nothing,
        },
        {
          name: 'vnffgs',
          onRestart: 'resume',
          async run(ctx) {
            // Two NFPs of one graph: one VNFFG instance.
            return ['nfp-web', 'nfp-tls'].map((nfpId) => ({ vnffgdId: 'graph', nfpId, portChainId: `chain-${nfpId}-${ctx.resourceId}`, networkId: `net-data-${ctx.resourceId}`, spec: {} }));
          },
          compensate: nothing,
        },
        { name: 'finalize', onRestart: 'resume', run: nothing },
      ]);
      engine.define(
        'TERMINATE',
        ['vnffgs', 'vnfs', 'saps', 'virtual-links', 'finalize'].map((name) => ({ name, onRestart: 'resume' as const, run: nothing })),
      );
    },
  });
  const { instances, gates, failures, request, subscribe, refuse, to, summary, settled, start, run } = bench;

  describe('the subscription resources', () => {
    it('creates a subscription after testing its endpoint, shows, lists (paged, per tenant), answers 303 for a duplicate and deletes it', async () => {
      // Every attribute of LifecycleChangeNotificationsFilter; those of NsChangeNotification are accepted and kept.
      const filter = {
        nsInstanceSubscriptionFilter: { nsdIds: ['nsd-crud'], nsInstanceNames: ['crud'] },
        operationTypes: ['INSTANTIATE', 'SCALE'],
        operationStates: ['COMPLETED', 'PARTIALLY_COMPLETED'],
        nsComponentTypes: ['VNF', 'NS'],
        lcmOpNameImpactingNsComponent: ['VNF_INSTANTIATE', 'NS_TERMINATE'],
        lcmOpOccStatusImpactingNsComponent: ['START', 'COMPLETED'],
      };
      const created = await request('POST', SUBSCRIPTIONS, { callbackUri: `${bench.callback.url}/crud`, filter });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const self = created.location as string;
      expect(self).toMatch(new RegExp(`${SUBSCRIPTIONS}/${id}$`));
      expect(created.body).toEqual({ id, filter, callbackUri: `${bench.callback.url}/crud`, _links: { self: { href: self } } });
      expect((await request('GET', `${SUBSCRIPTIONS}/${id}`)).body).toEqual(created.body);

      const other = await subscribe('crud-other', { notificationTypes: [OCCURRENCE, CREATION], operationTypes: ['TERMINATE'] });
      const third = await subscribe('crud-third');
      const firstPage = await request('GET', SUBSCRIPTIONS);
      expect(firstPage.status).toBe(200);
      expect(firstPage.body).toHaveLength(2);
      const filtered = await request('GET', `${SUBSCRIPTIONS}?filter=(eq,callbackUri,${encodeURIComponent(`${bench.callback.url}/crud-other`)})`);
      expect((filtered.body as unknown as Body[]).map((item) => item.id)).toEqual([other]);
      const byFilterAttribute = await request('GET', `${SUBSCRIPTIONS}?filter=(cont,filter/operationTypes,TERMINATE)`);
      expect((byFilterAttribute.body as unknown as Body[]).map((item) => item.id)).toEqual([other]);

      expect((await request('GET', `${SUBSCRIPTIONS}/${id}`, undefined, TENANT_B)).status).toBe(404);
      expect((await request('DELETE', `${SUBSCRIPTIONS}/${id}`, undefined, TENANT_B)).status).toBe(404);
      expect((await request('GET', SUBSCRIPTIONS, undefined, TENANT_B)).body).toEqual([]);
      const byAdmin = await request('GET', `${SUBSCRIPTIONS}?filter=(eq,id,${id})`, undefined, ADMIN);
      expect((byAdmin.body as unknown as Body[]).map((item) => item.id)).toEqual([id]);

      // The same callback and filter, its members in another order.
      const duplicate = await request('POST', SUBSCRIPTIONS, {
        callbackUri: `${bench.callback.url}/crud`,
        filter: { ...Object.fromEntries(Object.entries(filter).reverse()), nsInstanceSubscriptionFilter: { nsInstanceNames: ['crud'], nsdIds: ['nsd-crud'] } },
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
      expect(await refuse({ callbackUri: 'not a uri' })).toEqual([expect.objectContaining({ pointer: '/callbackUri' })]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { nsInstanceSubscriptionFilter: { vnfInstanceIds: ['x'] } } })).toEqual([
        { pointer: '/filter/nsInstanceSubscriptionFilter/vnfInstanceIds', message: 'is not a known attribute', in: 'body' },
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { nsInstanceSubscriptionFilter: { nsdIds: 'nsd-web' } } })).toEqual([
        expect.objectContaining({ pointer: '/filter/nsInstanceSubscriptionFilter/nsdIds' }),
      ]);
      // VNF LCM values are not NS LCM values.
      expect(await refuse({ callbackUri: bench.callback.url, filter: { operationTypes: ['INSTANTIATE', 'SCALE_TO_LEVEL'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/operationTypes/1' }),
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { operationStates: ['STARTING'] } })).toEqual([expect.objectContaining({ pointer: '/filter/operationStates/0' })]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/notificationTypes/0' }),
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { nsComponentTypes: ['VNFC'] } })).toEqual([expect.objectContaining({ pointer: '/filter/nsComponentTypes/0' })]);
      expect(await refuse({ callbackUri: bench.callback.url, filter: { lcmOpOccStatusImpactingNsComponent: ['PROCESSING'] } })).toEqual([
        expect.objectContaining({ pointer: '/filter/lcmOpOccStatusImpactingNsComponent/0' }),
      ]);
      // Attributes that filter one notification type only, with notificationTypes leaving that type out.
      expect(
        await refuse({
          callbackUri: bench.callback.url,
          filter: { notificationTypes: [CREATION], operationTypes: ['INSTANTIATE'], operationStates: ['COMPLETED'], nsComponentTypes: ['VNF'] },
        }),
      ).toEqual([
        { pointer: '/filter/operationTypes', message: `applies to ${OCCURRENCE} only, which notificationTypes leaves out`, in: 'body' },
        expect.objectContaining({ pointer: '/filter/operationStates' }),
        { pointer: '/filter/nsComponentTypes', message: 'applies to NsChangeNotification only, which notificationTypes leaves out', in: 'body' },
      ]);
      expect(await refuse({ callbackUri: bench.callback.url, authentication: { authType: ['BASIC'] } })).toEqual([expect.objectContaining({ pointer: '/authentication/paramsBasic' })]);

      const oauth = await request('POST', SUBSCRIPTIONS, { callbackUri: bench.callback.url, authentication: { authType: ['OAUTH2_CLIENT_CREDENTIALS'] } });
      expect(oauth.status).toBe(422);
      expect(oauth.contentType).toMatch(/application\/problem\+json/);

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
        expect(failed.contentType).toMatch(/application\/problem\+json/);
        expect(failed.body.detail).toMatch(/answered 404/);
      } finally {
        bench.callback.testStatus = 204;
      }
      expect((await request('GET', SUBSCRIPTIONS, undefined, ADMIN)).body).toEqual([]);
    });
  });

  describe('notifications', () => {
    it('notifies START on PROCESSING and RESULT on COMPLETED, once each however many steps change, with the affected VNFs, VLs, VNFFGs and SAPs', async () => {
      const everything = await subscribe('sequence');
      const instance = nsInstance('ns-sequence', 'tenant-a');
      instances.set(instance.id, instance);
      const gate = new Gate();
      gates.set(instance.id, gate);
      const started = await start('INSTANTIATE', instance);
      await bench.reached(gate, 'virtual-links');
      const processing = await eventually(async () => to(everything, instance.id)[0], WAIT_MS, 'the PROCESSING notification');
      expect(processing).toEqual({
        id: expect.any(String),
        nsInstanceId: instance.id,
        nsLcmOpOccId: started.id,
        operation: 'INSTANTIATE',
        notificationType: OCCURRENCE,
        subscriptionId: everything,
        timeStamp: expect.any(String),
        notificationStatus: 'START',
        operationState: 'PROCESSING',
        isAutomaticInvocation: false,
        _links: {
          nsInstance: { href: expect.stringMatching(new RegExp(`^http://[^/]+/nslcm/v1/ns_instances/${instance.id}$`)) },
          subscription: { href: expect.stringMatching(new RegExp(`^http://[^/]+${SUBSCRIPTIONS}/${everything}$`)) },
          nsLcmOpOcc: { href: expect.stringMatching(new RegExp(`^http://[^/]+/nslcm/v1/ns_lcm_op_occs/${started.id}$`)) },
        },
      });
      gate.open();
      expect((await bench.engine.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
      await settled();

      const received = to(everything, instance.id);
      expect(summary(received)).toEqual(['INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT']);
      const completed = received[1] as Body;
      expect(completed).not.toHaveProperty('error');
      expect(completed).toMatchObject({ nsLcmOpOccId: started.id, isAutomaticInvocation: false, _links: processing._links });
      expect(completed.affectedVnf).toEqual([
        { vnfInstanceId: `vnf-fw-${instance.id}`, vnfdId: 'vnfd-fw', vnfProfileId: 'fw', vnfName: 'my-fw', changeType: 'INSTANTIATE', changeResult: 'COMPLETED' },
        { vnfInstanceId: `vnf-lb-${instance.id}`, vnfdId: 'vnfd-lb', vnfProfileId: 'lb', vnfName: `name-of-${instance.id}-lb`, changeType: 'INSTANTIATE', changeResult: 'COMPLETED' },
      ]);
      expect(completed.affectedVl).toEqual([
        { nsVirtualLinkInstanceId: `net-ext-${instance.id}`, nsVirtualLinkDescId: 'vl-ext', vlProfileId: 'vl-ext', changeType: 'ADD', changeResult: 'COMPLETED' },
        { nsVirtualLinkInstanceId: `net-data-${instance.id}`, nsVirtualLinkDescId: 'vl-data', vlProfileId: 'vl-data', changeType: 'ADD', changeResult: 'COMPLETED' },
      ]);
      expect(completed.affectedVnffg).toEqual([{ vnffgInstanceId: `${instance.id}/graph`, vnffgdId: 'graph', changeType: 'ADD', changeResult: 'COMPLETED' }]);
      expect(completed.affectedSap).toEqual([{ sapInstanceId: `sap-port-${instance.id}`, sapdId: 'ext', sapName: 'ext-sap', changeType: 'ADD', changeResult: 'COMPLETED' }]);
      expect(new Set(received.map((body) => body.id)).size).toBe(2);

      // TERMINATE removes what the INSTANTIATE created.
      expect((await run('TERMINATE', instance)).state).toBe('COMPLETED');
      await settled();
      const [, , terminating, terminated] = to(everything, instance.id) as [Body, Body, Body, Body];
      expect(summary([terminating, terminated])).toEqual(['TERMINATE PROCESSING START', 'TERMINATE COMPLETED RESULT']);
      expect(terminating).not.toHaveProperty('affectedVnf');
      expect(terminated.affectedVnf).toEqual([
        expect.objectContaining({ vnfInstanceId: `vnf-fw-${instance.id}`, vnfdId: 'vnfd-fw', changeType: 'TERMINATE', changeResult: 'COMPLETED' }),
        expect.objectContaining({ vnfInstanceId: `vnf-lb-${instance.id}`, vnfdId: 'vnfd-lb', changeType: 'TERMINATE', changeResult: 'COMPLETED' }),
      ]);
      expect((terminated.affectedVl as Body[]).map((vl) => [vl.nsVirtualLinkInstanceId, vl.changeType])).toEqual([
        [`net-ext-${instance.id}`, 'DELETE'],
        [`net-data-${instance.id}`, 'DELETE'],
      ]);
      expect(terminated.affectedVnffg).toEqual([{ vnffgInstanceId: `${instance.id}/graph`, vnffgdId: 'graph', changeType: 'DELETE', changeResult: 'COMPLETED' }]);
      expect(terminated.affectedSap).toEqual([expect.objectContaining({ sapInstanceId: `sap-port-${instance.id}`, changeType: 'REMOVE', changeResult: 'COMPLETED' })]);
      expect((await request('DELETE', `${SUBSCRIPTIONS}/${everything}`)).status).toBe(204);
    });

    it('filters by NSD, VNFD, PNFD, instance id and name, notification type, operation type and state, and tenant; identifier notifications included', async () => {
      const instance = nsInstance('ns-filtered', 'tenant-a', { nsInstanceName: 'web-filtered' });
      instances.set(instance.id, instance);
      const subscriptions = {
        everything: await subscribe('f-everything'),
        terminate: await subscribe('f-terminate', { operationTypes: ['TERMINATE'] }),
        completed: await subscribe('f-completed', { operationStates: ['COMPLETED'] }),
        creation: await subscribe('f-creation', { notificationTypes: [CREATION] }),
        byNsd: await subscribe('f-by-nsd', { nsInstanceSubscriptionFilter: { nsdIds: ['nsd-other', 'nsd-web'] }, notificationTypes: [DELETION] }),
        otherNsd: await subscribe('f-other-nsd', { nsInstanceSubscriptionFilter: { nsdIds: ['nsd-other'] } }),
        byVnfd: await subscribe('f-by-vnfd', { nsInstanceSubscriptionFilter: { vnfdIds: ['vnfd-lb'] }, notificationTypes: [OCCURRENCE], operationStates: ['PROCESSING'] }),
        otherVnfd: await subscribe('f-other-vnfd', { nsInstanceSubscriptionFilter: { vnfdIds: ['vnfd-dpi'] } }),
        byPnfd: await subscribe('f-by-pnfd', { nsInstanceSubscriptionFilter: { pnfdIds: ['pnfd-router'] } }),
        otherInstance: await subscribe('f-other-instance', { nsInstanceSubscriptionFilter: { nsInstanceIds: ['someone-else'] } }),
        byId: await subscribe('f-by-id', { nsInstanceSubscriptionFilter: { nsInstanceIds: [instance.id] }, notificationTypes: [CREATION, DELETION] }),
        byName: await subscribe('f-by-name', { nsInstanceSubscriptionFilter: { nsInstanceNames: ['web-filtered'] }, operationTypes: ['INSTANTIATE'] }),
        changesOnly: await subscribe('f-changes', { notificationTypes: ['NsChangeNotification'], nsComponentTypes: ['VNF'] }),
        nsChangeAttributes: await subscribe('f-ns-change-attributes', { nsComponentTypes: ['VNF'], lcmOpOccStatusImpactingNsComponent: ['START'] }),
        ofTenantB: await subscribe('f-tenant-b', undefined, TENANT_B),
        ofAdmin: await subscribe('f-admin', { nsInstanceSubscriptionFilter: { nsdIds: ['nsd-web'] }, operationStates: ['PROCESSING'] }, ADMIN),
      };

      await bench.notifications.identifierCreated(instance);
      expect((await run('INSTANTIATE', instance)).state).toBe('COMPLETED');
      await bench.notifications.idle();
      expect((await run('TERMINATE', instance)).state).toBe('COMPLETED');
      await bench.notifications.idle();
      await bench.notifications.identifierDeleted(instance);
      await settled();

      const all = [CREATION, 'INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT', 'TERMINATE PROCESSING START', 'TERMINATE COMPLETED RESULT', DELETION];
      const of = (name: keyof typeof subscriptions) => summary(to(subscriptions[name], instance.id));
      expect(of('everything')).toEqual(all);
      // operationTypes and operationStates leave identifier notifications through (they filter occurrences only).
      expect(of('terminate')).toEqual([CREATION, 'TERMINATE PROCESSING START', 'TERMINATE COMPLETED RESULT', DELETION]);
      expect(of('completed')).toEqual([CREATION, 'INSTANTIATE COMPLETED RESULT', 'TERMINATE COMPLETED RESULT', DELETION]);
      expect(of('creation')).toEqual([CREATION]);
      expect(of('byNsd')).toEqual([DELETION]);
      expect(of('otherNsd')).toEqual([]);
      expect(of('byVnfd')).toEqual(['INSTANTIATE PROCESSING START', 'TERMINATE PROCESSING START']);
      expect(of('otherVnfd')).toEqual([]);
      expect(of('byPnfd')).toEqual([]);
      expect(of('otherInstance')).toEqual([]);
      expect(of('byId')).toEqual([CREATION, DELETION]);
      expect(of('byName')).toEqual([CREATION, 'INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT', DELETION]);
      expect(of('changesOnly')).toEqual([]);
      // The NS component attributes filter NsChangeNotification only.
      expect(of('nsChangeAttributes')).toEqual(all);
      expect(of('ofTenantB')).toEqual([]);
      expect(of('ofAdmin')).toEqual([CREATION, 'INSTANTIATE PROCESSING START', 'TERMINATE PROCESSING START', DELETION]);

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
        nsInstanceId: instance.id,
        _links: {
          nsInstance: { href: expect.stringMatching(new RegExp(`/nslcm/v1/ns_instances/${instance.id}$`)) },
          subscription: { href: expect.stringMatching(new RegExp(`${SUBSCRIPTIONS}/${subscriptions.creation}$`)) },
        },
      });
      expect(to(subscriptions.byNsd, instance.id)[0]).toMatchObject({ notificationType: DELETION, nsInstanceId: instance.id, subscriptionId: subscriptions.byNsd });

      for (const id of Object.values(subscriptions)) expect((await request('DELETE', `${SUBSCRIPTIONS}/${id}`, undefined, ADMIN)).status).toBe(204);
    });

    it('notifies FAILED_TEMP with its error, PROCESSING again after a retry, ROLLING_BACK and ROLLED_BACK, and FAILED with its error', async () => {
      const received = await bench.throughFailures({
        retried: nsInstance('ns-retried', 'tenant-a'),
        rolledBack: nsInstance('ns-rolled-back', 'tenant-a'),
        failed: nsInstance('ns-failed', 'tenant-a'),
      });

      expect(summary(received.retried)).toEqual([
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE COMPLETED RESULT',
      ]);
      const failedTemp = received.retried[1] as Body;
      expect(failedTemp.error).toEqual({
        type: 'about:blank',
        title: 'Step failed',
        status: 500,
        detail: 'run of step vnfs failed: VNF fw did not instantiate: no host has room',
        step: 'vnfs',
      });
      // What the steps before the failed one created; the failed step created nothing it could report.
      expect((failedTemp.affectedVl as Body[]).map((vl) => vl.changeResult)).toEqual(['COMPLETED', 'COMPLETED']);
      expect(failedTemp.affectedSap).toEqual([expect.objectContaining({ changeType: 'ADD', changeResult: 'COMPLETED' })]);
      expect(failedTemp).not.toHaveProperty('affectedVnf');
      expect(failedTemp).not.toHaveProperty('affectedVnffg');
      expect(received.retried[3]).not.toHaveProperty('error');
      expect((received.retried[3] as Body).affectedVnf).toHaveLength(2);

      expect(summary(received.rolledBack)).toEqual([
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE ROLLING_BACK START',
        'INSTANTIATE ROLLED_BACK RESULT',
      ]);
      const rolledBackResult = received.rolledBack[3] as Body;
      expect(rolledBackResult).not.toHaveProperty('error');
      expect((rolledBackResult.affectedVl as Body[]).map((vl) => vl.changeResult)).toEqual(['ROLLED_BACK', 'ROLLED_BACK']);
      expect(rolledBackResult.affectedSap).toEqual([expect.objectContaining({ changeResult: 'ROLLED_BACK' })]);

      expect(summary(received.failed)).toEqual(['INSTANTIATE PROCESSING START', 'INSTANTIATE FAILED_TEMP RESULT', 'INSTANTIATE FAILED RESULT']);
      expect((received.failed[2] as Body).error).toMatchObject({ status: 500, detail: 'run of step vnfs failed: VNF fw did not instantiate: no host has room' });
    });

    it('notifies an occurrence whose NS instance is gone with what it last knew of it, and skips one whose instance it never knew', async () => {
      const byVnfd = await subscribe('deleted', { nsInstanceSubscriptionFilter: { vnfdIds: ['vnfd-fw'] } });
      const instance = nsInstance('ns-deleted', 'tenant-a');
      instances.set(instance.id, instance);
      failures.set(instance.id, 1);
      const operation = await run('INSTANTIATE', instance);
      expect(operation.state).toBe('FAILED_TEMP');
      await settled();
      // Gone before the rollback: the facts last notified (its VNF profiles included) still match the filter.
      instances.delete(instance.id);
      await bench.engine.rollback(operation.id);
      expect((await bench.engine.waitFor(operation.id, WAIT_MS)).state).toBe('ROLLED_BACK');
      const unknown = await run('INSTANTIATE', nsInstance('ns-never-known', 'tenant-a'));
      expect(unknown.state).toBe('COMPLETED');
      await settled();
      expect(summary(to(byVnfd, instance.id))).toEqual([
        'INSTANTIATE PROCESSING START',
        'INSTANTIATE FAILED_TEMP RESULT',
        'INSTANTIATE ROLLING_BACK START',
        'INSTANTIATE ROLLED_BACK RESULT',
      ]);
      expect(to(byVnfd, 'ns-never-known')).toEqual([]);
      expect((await request('DELETE', `${SUBSCRIPTIONS}/${byVnfd}`)).status).toBe(204);
    });

    it('after a restart, neither repeats a notified state nor loses the one reached while nothing listened', async () => {
      const seen = await bench.acrossRestart(nsInstance('ns-restart', 'tenant-a'), 'virtual-links');
      expect(summary(seen.beforeStop)).toEqual(['INSTANTIATE PROCESSING START']);
      // The operation went on to COMPLETED unobserved.
      expect(summary(seen.whileStopped)).toEqual(['INSTANTIATE PROCESSING START']);
      // Catching up sends the state reached meanwhile, once; reported again (caught up again, and directly), it is not sent again.
      expect(summary(seen.afterCatchUp)).toEqual(['INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT']);
      expect((seen.afterCatchUp[1] as Body).affectedVnf).toHaveLength(2);
      expect(summary(seen.afterRepeats)).toEqual(['INSTANTIATE PROCESSING START', 'INSTANTIATE COMPLETED RESULT']);
      expect(seen.left).toEqual([]);
    });
  });
});

describe('NS LCM subscriptions in the whole product', () => {
  it('serves /nslcm/v1/subscriptions and notifies the NS lifecycle engine\'s occurrences through the nslcm outbox', async () => {
    const callback = await CallbackServer.start();
    const { product, tenantA, tenantB } = await startWithApis();
    try {
      const created = await tenantA.post(SUBSCRIPTIONS, { callbackUri: callback.url, filter: { notificationTypes: [OCCURRENCE] } });
      expect(created.status).toBe(201);
      const subscriptionId = created.json.id as string;
      expect((await tenantA.get(`${SUBSCRIPTIONS}/${subscriptionId}`)).json).toEqual(created.json);
      expect((await tenantB.get(`${SUBSCRIPTIONS}/${subscriptionId}`)).status).toBe(404);
      expect((await tenantA.post(SUBSCRIPTIONS, { callbackUri: callback.url, filter: { operationStates: ['STARTING'] } })).status).toBe(400);

      // An NS instance with nothing instantiated: its TERMINATE has nothing to remove and completes at once.
      const nfvo = product.application.modules.find((module) => module.name === 'nfvo') as NfvoModule;
      const instance = nsInstance('ns-product', 'tenant-a', { nsState: 'INSTANTIATED' });
      await product.application.store.collection<NsInstance>(NS_INSTANCES).insert(instance);
      const operation = await nfvo.nsLifecycle().start('TERMINATE', instance, {});
      expect((await nfvo.nsLifecycle().engine.waitFor(operation.id, WAIT_MS)).state).toBe('COMPLETED');
      const received = await eventually(async () => (callback.delivered.length >= 2 ? callback.delivered : undefined), WAIT_MS, 'two notifications');
      expect(received.map((body) => `${String(body.operation)} ${String(body.operationState)} ${String(body.notificationStatus)}`)).toEqual([
        'TERMINATE PROCESSING START',
        'TERMINATE COMPLETED RESULT',
      ]);
      expect(received[1]).toMatchObject({
        subscriptionId,
        nsInstanceId: instance.id,
        nsLcmOpOccId: operation.id,
        _links: { nsLcmOpOcc: { href: `${product.url}/nslcm/v1/ns_lcm_op_occs/${operation.id}` }, subscription: { href: `${product.url}${SUBSCRIPTIONS}/${subscriptionId}` } },
      });
      expect((await tenantA.delete(`${SUBSCRIPTIONS}/${subscriptionId}`)).status).toBe(204);
    } finally {
      await product.stop();
      await callback.close();
    }
  }, 60_000);
});
