import { startProduct, TENANT_A_TOKEN, type RunningProduct } from '../support/application.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { apiAs, disable, eventually, onboard, PACKAGES, startWithApis, SUBSCRIPTIONS, type Api, type Json } from './support/api.js';
import { CallbackServer } from './support/callback-server.js';
import { buildCsar } from './support/csar.js';

const ONBOARDING = 'VnfPackageOnboardingNotification';
const CHANGE = 'VnfPackageChangeNotification';

describe('VNF package subscriptions and notifications', () => {
  let product: RunningProduct;
  let admin: Api;
  let tenantA: Api;
  let tenantB: Api;
  let callback: CallbackServer;

  beforeAll(async () => {
    ({ product, admin, tenantA, tenantB } = await startWithApis());
    callback = await CallbackServer.start();
  });
  afterAll(async () => {
    await product.stop();
    await callback.close();
  });

  describe('the subscription resources', () => {
    it('creates a subscription after testing its endpoint, and shows, lists and deletes it', async () => {
      const filter = { notificationTypes: [ONBOARDING], vnfdId: ['some-vnfd'] };
      const created = await tenantA.post(SUBSCRIPTIONS, { callbackUri: `${callback.url}/crud`, filter });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      expect(created.headers.get('location')).toBe(`${product.url}${SUBSCRIPTIONS}/${id}`);
      expect(created.json).toEqual({ id, filter, callbackUri: `${callback.url}/crud`, _links: { self: { href: `${product.url}${SUBSCRIPTIONS}/${id}` } } });
      expect((await tenantA.get(`${SUBSCRIPTIONS}/${id}`)).json).toEqual(created.json);
      expect(((await tenantA.get(SUBSCRIPTIONS)).json as unknown as Json[]).map((item) => item.id)).toContain(id);
      expect(((await tenantB.get(SUBSCRIPTIONS)).json as unknown as Json[]).map((item) => item.id)).not.toContain(id);
      expect((await tenantB.get(`${SUBSCRIPTIONS}/${id}`)).status).toBe(404);
      expect(((await admin.get(SUBSCRIPTIONS)).json as unknown as Json[]).map((item) => item.id)).toContain(id);

      const duplicate = await tenantA.send(SUBSCRIPTIONS, {
        method: 'POST',
        redirect: 'manual',
        body: JSON.stringify({ callbackUri: `${callback.url}/crud`, filter: { vnfdId: ['some-vnfd'], notificationTypes: [ONBOARDING] } }),
        headers: { 'Content-Type': 'application/json' },
      });
      expect(duplicate.status).toBe(303);
      expect(duplicate.headers.get('location')).toBe(`${product.url}${SUBSCRIPTIONS}/${id}`);

      expect((await tenantA.delete(`${SUBSCRIPTIONS}/${id}`)).status).toBe(204);
      expect((await tenantA.get(`${SUBSCRIPTIONS}/${id}`)).status).toBe(404);
    });

    it('refuses bad requests with pointers, and an endpoint that fails its test with 422, creating nothing', async () => {
      const before = ((await admin.get(SUBSCRIPTIONS)).json as unknown as unknown[]).length;
      for (const callbackUri of ['ftp://127.0.0.1/x', 'relative/path', 'http://user:pw@127.0.0.1/x']) {
        const refused = await tenantA.post(SUBSCRIPTIONS, { callbackUri });
        expect(refused.status).toBe(400);
        expect(refused.json.violations).toEqual([expect.objectContaining({ pointer: '/callbackUri' })]);
      }
      const unknownFilter = await tenantA.post(SUBSCRIPTIONS, { callbackUri: callback.url, filter: { colour: ['red'] } });
      expect(unknownFilter.json.violations).toEqual([{ pointer: '/filter/colour', message: 'is not a known attribute', in: 'body' }]);
      const badType = await tenantA.post(SUBSCRIPTIONS, { callbackUri: callback.url, filter: { notificationTypes: ['Whatever'] } });
      expect(badType.json.violations).toEqual([expect.objectContaining({ pointer: '/filter/notificationTypes/0' })]);
      expect((await tenantA.post(SUBSCRIPTIONS, { filter: {} })).json.violations).toEqual([{ pointer: '/callbackUri', message: 'is required', in: 'body' }]);
      expect((await tenantA.post(SUBSCRIPTIONS, { callbackUri: callback.url, authentication: { authType: ['OAUTH2_CLIENT_CREDENTIALS'] } })).status).toBe(422);
      expect((await tenantA.post(SUBSCRIPTIONS, { callbackUri: callback.url, authentication: { authType: ['BASIC'] } })).status).toBe(400);

      callback.testStatus = 404;
      try {
        const failed = await tenantA.post(SUBSCRIPTIONS, { callbackUri: `${callback.url}/not-there` });
        expect(failed.status).toBe(422);
        expect(failed.json.detail).toMatch(/answered 404/);
      } finally {
        callback.testStatus = 204;
      }
      const unreachable = await tenantA.post(SUBSCRIPTIONS, { callbackUri: 'http://127.0.0.1:9/closed' });
      expect(unreachable.status).toBe(422);
      expect(((await admin.get(SUBSCRIPTIONS)).json as unknown as unknown[]).length).toBe(before);
    });
  });

  describe('notifications', () => {
    const vnfdId = 'notified-vnfd';
    let everything: string;
    let onboardingOnly: string;
    let otherVnfd: string;
    let ofTenantB: string;
    let ofAdmin: string;

    const subscribe = async (api: Api, name: string, body: Json = {}): Promise<string> => {
      const created = await api.post(SUBSCRIPTIONS, { callbackUri: `${callback.url}/${name}`, ...body });
      expect(created.status).toBe(201);
      return created.json.id as string;
    };
    const to = (subscriptionId: string): Json[] => callback.delivered.filter((body) => body.subscriptionId === subscriptionId);

    beforeAll(async () => {
      everything = await subscribe(tenantA, 'everything', { authentication: { authType: ['BASIC'], paramsBasic: { userName: 'listener', password: 's3cret' } } });
      onboardingOnly = await subscribe(tenantA, 'onboarding', { filter: { notificationTypes: [ONBOARDING] } });
      otherVnfd = await subscribe(tenantA, 'other', { filter: { vnfdId: ['another-vnfd'] } });
      ofTenantB = await subscribe(tenantB, 'tenant-b');
      ofAdmin = await subscribe(admin, 'admin', { filter: { vnfProductsFromProviders: [{ vnfProvider: 'Example', vnfProducts: [{ vnfProductName: 'Firewall' }] }] } });
    });

    it('notifies onboarding, operational state changes and deletion, in order, to the matching subscriptions', async () => {
      const pkg = await onboard(tenantA, await buildCsar({ vnfdId }));
      const id = pkg.id as string;
      await disable(tenantA, id);
      expect((await tenantA.delete(`${PACKAGES}/${id}`)).status).toBe(204);

      await eventually(async () => (to(everything).length === 3 && to(ofAdmin).length === 3 ? true : undefined), 20_000, 'three notifications');
      expect(to(everything).map((body) => [body.notificationType, body.changeType])).toEqual([
        [ONBOARDING, undefined],
        [CHANGE, 'OP_STATE_CHANGE'],
        [CHANGE, 'PKG_DELETE'],
      ]);
      const [onboarded, changed, deleted] = to(everything) as [Json, Json, Json];
      expect(onboarded).toEqual({
        id: expect.any(String),
        notificationType: ONBOARDING,
        subscriptionId: everything,
        timeStamp: expect.any(String),
        vnfPkgId: id,
        vnfdId,
        _links: {
          vnfPackage: { href: `${product.url}${PACKAGES}/${id}` },
          subscription: { href: `${product.url}${SUBSCRIPTIONS}/${everything}` },
        },
      });
      expect(changed).toMatchObject({ vnfPkgId: id, vnfdId, changeType: 'OP_STATE_CHANGE', operationalState: 'DISABLED' });
      expect(deleted).toMatchObject({ vnfPkgId: id, vnfdId, changeType: 'PKG_DELETE' });
      expect(deleted).not.toHaveProperty('operationalState');

      expect(to(onboardingOnly).map((body) => body.notificationType)).toEqual([ONBOARDING]);
      expect(to(onboardingOnly)[0]?.id).toBe(onboarded.id);
      expect(to(ofAdmin).map((body) => body.id)).toEqual([onboarded.id, changed.id, deleted.id]);
      expect(to(otherVnfd)).toEqual([]);
      expect(to(ofTenantB)).toEqual([]);
      const basic = `Basic ${Buffer.from('listener:s3cret').toString('base64')}`;
      const attemptsToEverything = callback.attempts.filter((attempt) => attempt.body.subscriptionId === everything);
      expect(attemptsToEverything.every((attempt) => attempt.authorization === basic)).toBe(true);
      expect(callback.attempts.filter((attempt) => attempt.body.subscriptionId === onboardingOnly).every((attempt) => attempt.authorization === undefined)).toBe(true);
    });

    it('retries a failing callback with backoff and delivers the same notification once it answers', async () => {
      callback.failing = true;
      const pkg = await onboard(tenantB, await buildCsar({ vnfdId: 'retried-vnfd' }));
      await eventually(async () => (callback.attempts.filter((attempt) => attempt.body.subscriptionId === ofTenantB).length >= 2 ? true : undefined), 20_000, 'two failed attempts');
      callback.failing = false;
      const delivered = await eventually(async () => to(ofTenantB)[0], 20_000, 'the delivery');
      expect(delivered).toMatchObject({ notificationType: ONBOARDING, vnfPkgId: pkg.id });
      const attempts = callback.attempts.filter((attempt) => attempt.body.subscriptionId === ofTenantB);
      expect(new Set(attempts.map((attempt) => attempt.body.id))).toEqual(new Set([delivered.id]));
      expect(attempts.filter((attempt) => attempt.status === 204)).toHaveLength(1);
    });

    it('stops notifying a deleted subscription', async () => {
      expect((await tenantA.delete(`${SUBSCRIPTIONS}/${onboardingOnly}`)).status).toBe(204);
      const before = to(onboardingOnly).length;
      await onboard(tenantA, await buildCsar({ vnfdId: 'after-unsubscribe' }));
      await eventually(async () => (to(everything).some((body) => body.vnfdId === 'after-unsubscribe') ? true : undefined));
      expect(to(onboardingOnly).length).toBe(before);
    });
  });

  it('keeps undelivered notifications across a restart and delivers each (at least) once', async () => {
    const dataDir = makeTempDir('outbox-restart');
    const receiver = await CallbackServer.start();
    try {
      const first = await startProduct({ NFV_DATA_DIR: dataDir });
      const api = apiAs(first, TENANT_A_TOKEN);
      const subscriptionId = (await api.post(SUBSCRIPTIONS, { callbackUri: receiver.url })).json.id as string;
      receiver.failing = true;
      const pkg = await onboard(api, await buildCsar({ vnfdId: 'survives-restart' }));
      await eventually(async () => (receiver.attempts.length >= 1 ? true : undefined), 20_000, 'a failed attempt');
      await first.stop();
      const attemptsWhileDown = receiver.attempts.length;

      receiver.failing = false;
      const second = await startProduct({ NFV_DATA_DIR: dataDir });
      try {
        const delivered = await eventually(async () => receiver.delivered[0], 20_000, 'delivery after the restart');
        expect(delivered).toMatchObject({ notificationType: ONBOARDING, subscriptionId, vnfPkgId: pkg.id, vnfdId: 'survives-restart' });
        expect(receiver.attempts.length).toBeGreaterThan(attemptsWhileDown);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(receiver.delivered).toHaveLength(1);
        expect(new Set(receiver.attempts.map((attempt) => attempt.body.id))).toEqual(new Set([delivered.id]));
      } finally {
        await second.stop();
      }
    } finally {
      await receiver.close();
      removeTempDir(dataDir);
    }
  });
});
