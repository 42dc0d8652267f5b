import fs from 'node:fs';
import path from 'node:path';
import { NsdCatalogue } from '../../nfvo/index.js';
import type { RunningProduct } from '../support/application.js';
import { disable, eventually, NSDS, onboard, PACKAGES, startWithApis, type Api, type Json } from './support/api.js';
import { buildCsar, nsdYaml, zipFiles } from './support/csar.js';

async function createNsd(api: Api, userDefinedData?: Json): Promise<string> {
  const created = await api.post(NSDS, userDefinedData === undefined ? {} : { userDefinedData });
  expect(created.status).toBe(201);
  return created.json.id as string;
}

async function nsdOnboardingEnded(api: Api, id: string): Promise<Json> {
  return eventually(async () => {
    const { json } = await api.get(`${NSDS}/${id}`);
    const state = json.nsdOnboardingState;
    return state === 'ONBOARDED' || (state === 'CREATED' && json.onboardingFailureDetails !== undefined) ? json : undefined;
  }, 20_000, `onboarding of NSD ${id} to end`);
}

async function uploadNsd(api: Api, content: Buffer | string | FormData, contentType?: string): Promise<Json> {
  const id = await createNsd(api);
  const upload = await api.put(`${NSDS}/${id}/nsd_content`, content, contentType);
  expect(upload.status).toBe(202);
  return nsdOnboardingEnded(api, id);
}

describe('NSD management (SOL 005 nsd)', () => {
  let product: RunningProduct;
  let admin: Api;
  let tenantA: Api;
  let tenantB: Api;
  let firewall: Json;
  let loadBalancer: Json;

  beforeAll(async () => {
    ({ product, admin, tenantA, tenantB } = await startWithApis());
    firewall = await onboard(tenantA, await buildCsar({ vnfdId: 'fw-vnfd' }));
    loadBalancer = await onboard(tenantA, await buildCsar({ vnfdId: 'lb-vnfd', productName: 'LoadBalancer' }));
    expect([firewall.onboardingState, loadBalancer.onboardingState]).toEqual(['ONBOARDED', 'ONBOARDED']);
  });
  afterAll(async () => product.stop());

  it('creates an NSD resource in CREATED, DISABLED, NOT_IN_USE', async () => {
    const created = await tenantA.post(NSDS, { userDefinedData: { service: 'edge' } });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.headers.get('location')).toBe(`${product.url}${NSDS}/${id}`);
    expect(created.json).toEqual({
      id,
      nsdOnboardingState: 'CREATED',
      nsdOperationalState: 'DISABLED',
      nsdUsageState: 'NOT_IN_USE',
      userDefinedData: { service: 'edge' },
      _links: { self: { href: `${product.url}${NSDS}/${id}` }, nsd_content: { href: `${product.url}${NSDS}/${id}/nsd_content` } },
    });
    const refused = await tenantA.post(NSDS, { nsdId: 'x' });
    expect(refused.status).toBe(400);
    expect(refused.json.violations).toEqual([{ pointer: '/nsdId', message: 'is not a known attribute', in: 'body' }]);
    expect((await tenantB.get(`${NSDS}/${id}`)).status).toBe(404);
    expect(((await tenantB.get(NSDS)).json as unknown as Json[]).map((nsd) => nsd.id)).not.toContain(id);
    expect(((await admin.get(NSDS)).json as unknown as Json[]).map((nsd) => nsd.id)).toContain(id);
    const [listed] = (await tenantA.get(`${NSDS}?filter=${encodeURIComponent(`(eq,id,${id})`)}`)).json as unknown as Json[];
    expect(listed).not.toHaveProperty('userDefinedData');
    expect((await tenantA.get(`${NSDS}/${id}/nsd_content`)).status).toBe(409);
    expect((await tenantA.patch(`${NSDS}/${id}`, { nsdOperationalState: 'ENABLED' })).status).toBe(409);
  });

  it('onboards a YAML NSD whose VNFDs are onboarded, with the packages it references', async () => {
    const yaml = nsdYaml({ nsdId: 'nsd-fw-lb', name: 'fw-lb', vnfdIds: ['fw-vnfd', 'lb-vnfd'] });
    const nsd = await uploadNsd(tenantA, yaml, 'text/plain');
    expect(nsd.onboardingFailureDetails).toBeUndefined();
    expect(nsd).toMatchObject({
      nsdOnboardingState: 'ONBOARDED',
      nsdOperationalState: 'ENABLED',
      nsdUsageState: 'NOT_IN_USE',
      nsdId: 'nsd-fw-lb',
      nsdName: 'fw-lb',
      nsdVersion: '1.0',
      nsdDesigner: 'Example',
      nsdInvariantId: '5bd2f3a1-0e39-4bd0-9d4a-3a4d2b2f6c00',
    });
    expect([...(nsd.vnfPkgIds as string[])].sort()).toEqual([firewall.id, loadBalancer.id].sort());

    const url = `${NSDS}/${nsd.id}/nsd_content`;
    const content = await tenantA.get(url, { Accept: 'text/plain' });
    expect(content.headers.get('content-type')).toBe('text/plain');
    expect(content.bytes.toString()).toBe(yaml);
    const part = await tenantA.get(url, { Range: 'bytes=0-24' });
    expect(part.status).toBe(206);
    expect(part.bytes.toString()).toBe(yaml.slice(0, 25));
    expect((await tenantA.get(url, { Accept: 'application/zip' })).headers.get('content-type')).toBe('application/zip');
    expect((await tenantA.put(url, yaml, 'text/plain')).status).toBe(409);
  });

  it('takes the NSD as application/x-yaml, as a zip and as a multipart file part', async () => {
    const yaml = nsdYaml({ nsdId: 'nsd-fw', vnfdIds: ['fw-vnfd'] });
    expect((await uploadNsd(tenantA, yaml, 'application/x-yaml')).nsdOnboardingState).toBe('ONBOARDED');
    const zip = await zipFiles(
      new Map([
        ['TOSCA-Metadata/TOSCA.meta', Buffer.from('TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: tests\nEntry-Definitions: Definitions/nsd.yaml\n')],
        ['Definitions/nsd.yaml', Buffer.from(yaml)],
      ]),
    );
    const zipped = await uploadNsd(tenantA, zip, 'application/zip');
    expect(zipped.onboardingFailureDetails).toBeUndefined();
    expect(zipped.nsdOnboardingState).toBe('ONBOARDED');
    const served = await tenantA.get(`${NSDS}/${zipped.id}/nsd_content`, { Accept: 'text/plain' });
    expect(served.status).toBe(406);
    expect((await tenantA.get(`${NSDS}/${zipped.id}/nsd_content`)).bytes.equals(zip)).toBe(true);
    const form = new FormData();
    form.append('file', new Blob([yaml], { type: 'application/x-yaml' }), 'nsd.yaml');
    expect((await uploadNsd(tenantA, form)).nsdOnboardingState).toBe('ONBOARDED');
    const id = await createNsd(tenantA);
    expect((await tenantA.put(`${NSDS}/${id}/nsd_content`, '{}', 'application/json')).status).toBe(415);
    expect((await tenantA.put(`${NSDS}/${id}/nsd_content`, '', 'text/plain')).status).toBe(400);
    expect((await tenantA.get(`${NSDS}/${id}`)).json.nsdOnboardingState).toBe('CREATED');
  });

  it('refuses an NSD referencing VNFDs the tenant has not onboarded, naming them', async () => {
    const missing = await uploadNsd(tenantA, nsdYaml({ vnfdIds: ['fw-vnfd', 'unknown-vnfd'] }), 'text/plain');
    expect(missing.nsdOnboardingState).toBe('CREATED');
    expect(missing.onboardingFailureDetails).toMatchObject({ status: 422, vnfdIds: ['unknown-vnfd'] });
    expect((missing.onboardingFailureDetails as Json).detail).toMatch('unknown-vnfd');
    await eventually(async () => (fs.existsSync(path.join(product.config.dataDir, 'nsds', `${missing.id}.nsd`)) ? undefined : true), 5000, 'the stored content to go');

    const ofOtherTenant = await uploadNsd(tenantB, nsdYaml({ vnfdIds: ['fw-vnfd'] }), 'text/plain');
    expect(ofOtherTenant.onboardingFailureDetails).toMatchObject({ vnfdIds: ['fw-vnfd'] });

    const invalid = await uploadNsd(tenantA, 'topology_template: [broken\n', 'text/plain');
    expect(invalid.onboardingFailureDetails).toMatchObject({ status: 422, errors: expect.arrayContaining([expect.objectContaining({ line: expect.any(Number) })]) });
  });

  it('keeps a referenced VNF package from deletion until the NSD is gone', async () => {
    const vnf = await onboard(tenantA, await buildCsar({ vnfdId: 'guarded-vnfd' }));
    const nsd = await uploadNsd(tenantA, nsdYaml({ nsdId: 'guarding', vnfdIds: ['guarded-vnfd'] }), 'text/plain');
    expect(nsd.nsdOnboardingState).toBe('ONBOARDED');
    await disable(tenantA, vnf.id as string);
    const refused = await tenantA.delete(`${PACKAGES}/${vnf.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json.nsdInfoIds).toEqual([nsd.id]);
    expect(refused.json.detail).toMatch(nsd.id as string);

    const enabled = await tenantA.delete(`${NSDS}/${nsd.id}`);
    expect(enabled.status).toBe(409);
    const nsds = new NsdCatalogue(product.application.store);
    expect(await nsds.markUsage('tenant-a', nsd.id as string, 'ns-instance-7', true)).toEqual({ ok: true });
    expect((await tenantA.get(`${NSDS}/${nsd.id}`)).json.nsdUsageState).toBe('IN_USE');
    const etag = (await tenantA.get(`${NSDS}/${nsd.id}`)).headers.get('etag') as string;
    const disabled = await tenantA.patch(`${NSDS}/${nsd.id}`, { nsdOperationalState: 'DISABLED', userDefinedData: { retired: true } }, { 'If-Match': etag });
    expect(disabled.status).toBe(200);
    expect(disabled.json).toEqual({ nsdOperationalState: 'DISABLED', userDefinedData: { retired: true } });
    expect((await tenantA.patch(`${NSDS}/${nsd.id}`, { nsdOperationalState: 'DISABLED' })).status).toBe(409);
    expect((await tenantA.patch(`${NSDS}/${nsd.id}`, { userDefinedData: {} }, { 'If-Match': etag })).status).toBe(412);
    expect((await tenantA.delete(`${NSDS}/${nsd.id}`)).json).toMatchObject({ status: 409, nsdUsageState: 'IN_USE' });
    expect(await nsds.markUsage('tenant-a', nsd.id as string, 'ns-instance-7', false)).toEqual({ ok: true });
    expect((await tenantA.delete(`${NSDS}/${nsd.id}`)).status).toBe(204);
    expect((await tenantA.get(`${NSDS}/${nsd.id}`)).status).toBe(404);
    expect(fs.existsSync(path.join(product.config.dataDir, 'nsds', `${nsd.id}.nsd`))).toBe(false);
    expect((await tenantA.delete(`${PACKAGES}/${vnf.id}`)).status).toBe(204);
  });
});
