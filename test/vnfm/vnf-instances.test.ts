import fs from 'node:fs';
import { buildVnfPackage } from '../../descriptors/examples/index.js';
import { TENANT_A_TOKEN } from '../support/application.js';
import { run } from '../support/command.js';
import { onboard, PACKAGES, startWithApis, type Api, type Json, type ProductWithApis } from '../nfvo/support/api.js';

const INSTANCES = '/vnflcm/v1/vnf_instances';
const CLI = ['/usr/bin/openstack', '/usr/local/bin/openstack'].find((file) => fs.existsSync(file));

describe('SOL 003 VNF instance resources', () => {
  let running: ProductWithApis;
  let tenantA: Api;
  let tenantB: Api;
  let vnfPkg: Json;

  beforeAll(async () => {
    running = await startWithApis();
    ({ tenantA, tenantB } = running);
    vnfPkg = await onboard(tenantA, await buildVnfPackage('vfw'));
    expect(vnfPkg.onboardingState).toBe('ONBOARDED');
  }, 60000);

  afterAll(async () => {
    await running?.product.stop();
  });

  it('creates an instance from an onboarded VNFD with the package facts, marks the package in use, and deletes it', async () => {
    const created = await tenantA.post(INSTANCES, { vnfdId: vnfPkg.vnfdId, vnfInstanceName: 'fw-1', metadata: { site: 'lab' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${running.product.url}${INSTANCES}/${created.json.id as string}`);
    expect(created.json).toMatchObject({
      vnfdId: vnfPkg.vnfdId,
      vnfInstanceName: 'fw-1',
      vnfProvider: vnfPkg.vnfProvider,
      vnfProductName: vnfPkg.vnfProductName,
      vnfSoftwareVersion: vnfPkg.vnfSoftwareVersion,
      vnfdVersion: vnfPkg.vnfdVersion,
      instantiationState: 'NOT_INSTANTIATED',
      metadata: { site: 'lab' },
    });
    expect(Object.keys(created.json._links as Json)).toEqual(['self', 'instantiate']);
    expect((await tenantA.get(`${PACKAGES}/${vnfPkg.id as string}`)).json.usageState).toBe('IN_USE');

    const shown = await tenantA.get(`${INSTANCES}/${created.json.id as string}`);
    expect(shown.json).toEqual(created.json);
    const listed = await tenantA.get(`${INSTANCES}?filter=(eq,vnfInstanceName,fw-1)`);
    expect((listed.json as unknown as Json[]).map((one) => one.id)).toEqual([created.json.id]);
    expect((listed.json as unknown as Json[])[0]).not.toHaveProperty('metadata');
    // Another tenant sees nothing of it.
    expect((await tenantB.get(`${INSTANCES}/${created.json.id as string}`)).status).toBe(404);

    expect((await tenantA.delete(`${INSTANCES}/${created.json.id as string}`)).status).toBe(204);
    expect((await tenantA.get(`${INSTANCES}/${created.json.id as string}`)).status).toBe(404);
    expect((await tenantA.get(`${PACKAGES}/${vnfPkg.id as string}`)).json.usageState).toBe('NOT_IN_USE');
  });

  it('refuses an unknown VNFD and malformed requests, with pointers, creating nothing', async () => {
    const unknown = await tenantA.post(INSTANCES, { vnfdId: 'no-such-vnfd' });
    expect(unknown.status).toBe(422);
    expect(unknown.json.violations).toEqual([expect.objectContaining({ pointer: '/vnfdId' })]);
    // A tenant that did not onboard the package cannot instantiate its VNFD.
    expect((await tenantB.post(INSTANCES, { vnfdId: vnfPkg.vnfdId })).status).toBe(422);
    const malformed = await tenantA.post(INSTANCES, { vnfdId: 7, colour: 'red' });
    expect(malformed.status).toBe(400);
    expect((malformed.json.violations as Json[]).map((violation) => violation.pointer).sort()).toEqual(['/colour', '/vnfdId']);
    expect((await tenantA.get(INSTANCES)).json).toEqual([]);
  });

  it('works with the openstack vnflcm CLI: create, show, list, delete', async () => {
    if (CLI === undefined) {
      console.warn('skipped: the openstack client is not installed (python3-openstackclient, python3-tackerclient)');
      return;
    }
    const openstack = async (...args: string[]): Promise<string> =>
      (
        await run(CLI, ['--os-auth-type', 'admin_token', '--os-token', TENANT_A_TOKEN, '--os-endpoint', running.product.url, ...args], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
          timeoutMs: 60000,
        })
      ).stdout;
    const created = JSON.parse(await openstack('vnflcm', 'create', String(vnfPkg.vnfdId), '--name', 'cli-fw', '-f', 'json')) as Json;
    expect(created).toMatchObject({ 'VNF Instance Name': 'cli-fw', 'Instantiation State': 'NOT_INSTANTIATED', 'VNFD ID': vnfPkg.vnfdId });
    const shown = JSON.parse(await openstack('vnflcm', 'show', String(created.ID), '-f', 'json')) as Json;
    expect(shown).toMatchObject({ ID: created.ID, 'VNF Instance Name': 'cli-fw' });
    const listed = JSON.parse(await openstack('vnflcm', 'list', '-f', 'json')) as Json[];
    expect(listed.map((one) => one.ID)).toContain(created.ID);
    await openstack('vnflcm', 'delete', String(created.ID));
    expect((await tenantA.get(`${INSTANCES}/${created.ID as string}`)).status).toBe(404);
  }, 180000);
});
