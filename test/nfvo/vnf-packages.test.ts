import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { VnfPackageCatalogue } from '../../nfvo/index.js';
import { startProduct, TENANT_A_TOKEN, type RunningProduct } from '../support/application.js';
import { apiAs, createPackage, disable, eventually, onboard, PACKAGES, startWithApis, type Api, type Json } from './support/api.js';
import { buildCsar, csarFiles, ENTRY_VNFD, IMAGE_PATH, MANIFEST, SCRIPT_PATH, TYPES_VNFD } from './support/csar.js';

async function zipEntries(zip: Buffer): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const archive = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  for await (const entry of archive.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await archive.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
  }
  return entries;
}

function expectProblem(answer: { status: number; headers: Headers; json: Json }, status: number): Json {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return answer.json;
}

describe('VNF packages (SOL 005 vnfpkgm)', () => {
  let product: RunningProduct;
  let admin: Api;
  let tenantA: Api;
  let tenantB: Api;

  beforeAll(async () => {
    ({ product, admin, tenantA, tenantB } = await startWithApis());
  });
  afterAll(async () => product.stop());

  describe('the VNF package resource', () => {
    it('creates a package in CREATED, DISABLED, NOT_IN_USE with its links, location and entity tag', async () => {
      const created = await tenantA.post(PACKAGES, { userDefinedData: { owner: 'team-a', tier: { level: 1 } } });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      expect(created.headers.get('location')).toBe(`${product.url}${PACKAGES}/${id}`);
      expect(created.headers.get('etag')).toBe('"1"');
      expect(created.json).toEqual({
        id,
        onboardingState: 'CREATED',
        operationalState: 'DISABLED',
        usageState: 'NOT_IN_USE',
        userDefinedData: { owner: 'team-a', tier: { level: 1 } },
        _links: { self: { href: `${product.url}${PACKAGES}/${id}` }, packageContent: { href: `${product.url}${PACKAGES}/${id}/package_content` } },
      });
      const shown = await tenantA.get(`${PACKAGES}/${id}`);
      expect(shown.json).toEqual(created.json);
      expect(shown.headers.get('etag')).toBe('"1"');
    });

    it('refuses bad create bodies with pointers and creates nothing', async () => {
      const before = (await admin.get(PACKAGES)).json as unknown as unknown[];
      const unknown = expectProblem(await tenantA.post(PACKAGES, { userDefinedData: {}, vnfdId: 'x' }), 400);
      expect(unknown.violations).toEqual([{ pointer: '/vnfdId', message: 'is not a known attribute', in: 'body' }]);
      const wrongType = expectProblem(await tenantA.post(PACKAGES, { userDefinedData: 'text' }), 400);
      expect(wrongType.violations).toEqual([{ pointer: '/userDefinedData', message: 'must be object', in: 'body' }]);
      expectProblem(await tenantA.send(PACKAGES, { method: 'POST', body: '{"userDefinedData":', headers: { 'Content-Type': 'application/json' } }), 400);
      expect(((await admin.get(PACKAGES)).json as unknown as unknown[]).length).toBe(before.length);
    });

    it('keeps tenants apart; the admin tenant sees every package', async () => {
      const ofA = await createPackage(tenantA);
      const ofB = await createPackage(tenantB);
      expectProblem(await tenantB.get(`${PACKAGES}/${ofA}`), 404);
      expectProblem(await tenantB.delete(`${PACKAGES}/${ofA}`), 404);
      expectProblem(await tenantB.patch(`${PACKAGES}/${ofA}`, { userDefinedData: { stolen: true } }), 404);
      const listA = (await tenantA.get(PACKAGES)).json as unknown as Json[];
      const listB = (await tenantB.get(PACKAGES)).json as unknown as Json[];
      expect(listA.map((pkg) => pkg.id)).toContain(ofA);
      expect(listA.map((pkg) => pkg.id)).not.toContain(ofB);
      expect(listB.map((pkg) => pkg.id)).toEqual([ofB]);
      const all = ((await admin.get(PACKAGES)).json as unknown as Json[]).map((pkg) => pkg.id);
      expect(all).toEqual(expect.arrayContaining([ofA, ofB]));
      expect((await admin.get(`${PACKAGES}/${ofB}`)).status).toBe(200);
    });

    it('lists with SOL 013 filters and selectors, leaving out the default-excluded attributes', async () => {
      const id = await createPackage(tenantB, { purpose: 'listing' });
      const [plain] = (await tenantB.get(`${PACKAGES}?filter=${encodeURIComponent(`(eq,id,${id})`)}`)).json as unknown as Json[];
      expect(plain).toBeDefined();
      expect(plain).not.toHaveProperty('userDefinedData');
      expect(plain).toHaveProperty('_links');
      const [all] = (await tenantB.get(`${PACKAGES}?all_fields&filter=${encodeURIComponent(`(eq,id,${id})`)}`)).json as unknown as Json[];
      expect(all).toHaveProperty('userDefinedData', { purpose: 'listing' });
      const [picked] = (await tenantB.get(`${PACKAGES}?fields=userDefinedData&filter=${encodeURIComponent(`(eq,id,${id})`)}`)).json as unknown as Json[];
      expect(picked).toHaveProperty('userDefinedData');
      const byState = (await tenantB.get(`${PACKAGES}?filter=${encodeURIComponent('(eq,onboardingState,ONBOARDED)')}`)).json as unknown as Json[];
      expect(byState.every((pkg) => pkg.onboardingState === 'ONBOARDED')).toBe(true);
      const unknownAttribute = expectProblem(await tenantB.get(`${PACKAGES}?filter=${encodeURIComponent('(eq,colour,red)')}`), 400);
      expect(unknownAttribute.violations).toEqual([expect.objectContaining({ pointer: '/filter', in: 'query' })]);
      expectProblem(await tenantB.get(`${PACKAGES}?all_fields&exclude_default`), 400);
    });

    it('pages long lists with a Link header', async () => {
      const paged = await startProduct({ NFV_PAGE_SIZE: '2' });
      try {
        const api = apiAs(paged, TENANT_A_TOKEN);
        for (let index = 0; index < 3; index += 1) await createPackage(api);
        const first = await api.get(PACKAGES);
        expect((first.json as unknown as unknown[]).length).toBe(2);
        const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
        expect(next).toBeDefined();
        const second = await api.get((next as string).slice(paged.url.length));
        expect((second.json as unknown as unknown[]).length).toBe(1);
      } finally {
        await paged.stop();
      }
    });

    it('changes user data of a package by JSON Merge Patch (also sent as application/json), with entity tags', async () => {
      const id = await createPackage(tenantA, { keep: 'yes', drop: 'me', nested: { a: 1, b: 2 } });
      const patched = await tenantA.patch(`${PACKAGES}/${id}`, { userDefinedData: { drop: null, nested: { b: null, c: 3 }, added: true } }, { 'If-Match': '"1"' });
      expect(patched.status).toBe(200);
      expect(patched.json).toEqual({ userDefinedData: { drop: null, nested: { b: null, c: 3 }, added: true } });
      expect(patched.headers.get('etag')).toBe('"2"');
      expect((await tenantA.get(`${PACKAGES}/${id}`)).json.userDefinedData).toEqual({ keep: 'yes', nested: { a: 1, c: 3 }, added: true });
      expectProblem(await tenantA.patch(`${PACKAGES}/${id}`, { userDefinedData: { late: 1 } }, { 'If-Match': '"1"' }), 412);
      const asJson = await tenantA.send(`${PACKAGES}/${id}`, { method: 'PATCH', body: JSON.stringify({ userDefinedData: { viaJson: 1 } }), headers: { 'Content-Type': 'application/json', 'If-Match': '"2"' } });
      expect(asJson.status).toBe(200);
      expect((await tenantA.get(`${PACKAGES}/${id}`)).json.userDefinedData).toEqual({ keep: 'yes', nested: { a: 1, c: 3 }, added: true, viaJson: 1 });
      expectProblem(await tenantA.send(`${PACKAGES}/${id}`, { method: 'PATCH', body: '<x/>', headers: { 'Content-Type': 'application/xml' } }), 415);
      expectProblem(await tenantA.patch(`${PACKAGES}/${id}`, {}), 400);
      const unknown = expectProblem(await tenantA.patch(`${PACKAGES}/${id}`, { onboardingState: 'ONBOARDED' }), 400);
      expect(unknown.violations).toEqual([{ pointer: '/onboardingState', message: 'is not a known attribute', in: 'body' }]);
      expectProblem(await tenantA.patch(`${PACKAGES}/${id}`, { operationalState: 'ON' }), 400);
      expect((await tenantA.get(`${PACKAGES}/${id}`)).headers.get('etag')).toBe('"3"');
    });

    it('refuses to enable a package that is not ONBOARDED, and to read its content', async () => {
      const id = await createPackage(tenantA);
      const refused = expectProblem(await tenantA.patch(`${PACKAGES}/${id}`, { operationalState: 'ENABLED' }), 409);
      expect(refused.detail).toMatch(/CREATED/);
      for (const part of ['package_content', 'vnfd', 'manifest', `artifacts/${IMAGE_PATH}`]) {
        expectProblem(await tenantA.get(`${PACKAGES}/${id}/${part}`), 409);
      }
    });

    it('documents every route in the OpenAPI document', async () => {
      const document = (await tenantA.get('/docs/json')).json as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          `${PACKAGES}/{vnfPkgId}/package_content`,
          `${PACKAGES}/{vnfPkgId}/package_content/upload_from_uri`,
          '/vnfpkgm/v1/onboarded_vnf_packages/{vnfdId}/vnfd',
          '/vnfpkgm/v1/subscriptions/{subscriptionId}',
          '/nsd/v1/ns_descriptors/{nsdInfoId}/nsd_content',
        ]),
      );
      expect(document.paths[PACKAGES]?.post).toHaveProperty('requestBody');
    });

    it('deletes a package that is only CREATED', async () => {
      const id = await createPackage(tenantA);
      const deleted = await tenantA.delete(`${PACKAGES}/${id}`);
      expect(deleted.status).toBe(204);
      expectProblem(await tenantA.get(`${PACKAGES}/${id}`), 404);
      expectProblem(await tenantA.delete(`${PACKAGES}/${id}`), 404);
    });
  });

  describe('onboarded packages', () => {
    const vnfdId = 'a9c9b5d8-1111-4c3e-9d39-3f9b0f3b1e01';
    let csar: Buffer;
    let pkg: Json;

    beforeAll(async () => {
      csar = await buildCsar({ vnfdId });
      pkg = await onboard(tenantA, csar);
    });

    it('onboards an uploaded CSAR: ONBOARDED and ENABLED, with the VNFD facts, checksum, images and artifacts', async () => {
      expect(pkg.onboardingFailureDetails).toBeUndefined();
      expect(pkg).toMatchObject({
        onboardingState: 'ONBOARDED',
        operationalState: 'ENABLED',
        usageState: 'NOT_IN_USE',
        vnfdId,
        vnfProvider: 'Example',
        vnfProductName: 'Firewall',
        vnfSoftwareVersion: '1.0',
        vnfdVersion: '1.0',
      });
      const id = pkg.id as string;
      expect(pkg._links).toEqual({
        self: { href: `${product.url}${PACKAGES}/${id}` },
        vnfd: { href: `${product.url}${PACKAGES}/${id}/vnfd` },
        packageContent: { href: `${product.url}${PACKAGES}/${id}/package_content` },
      });
      const crypto = await import('node:crypto');
      expect(pkg.checksum).toEqual({ algorithm: 'SHA-256', hash: crypto.createHash('sha256').update(csar).digest('hex') });
      expect(pkg.softwareImages).toEqual([
        expect.objectContaining({ id: 'VDU1', name: 'fw-image', provider: 'Example', version: '1.0', containerFormat: 'BARE', diskFormat: 'QCOW2', imagePath: IMAGE_PATH }),
      ]);
      expect(pkg.additionalArtifacts).toEqual(expect.arrayContaining([expect.objectContaining({ artifactPath: SCRIPT_PATH, checksum: expect.objectContaining({ hash: expect.any(String) }) })]));
      expect(fs.existsSync(path.join(product.config.dataDir, 'packages', `${id}.zip`))).toBe(true);
    });

    it('refuses a second upload once content was uploaded', async () => {
      const again = expectProblem(await tenantA.put(`${PACKAGES}/${pkg.id}/package_content`, csar, 'application/zip'), 409);
      expect(again.detail).toMatch(/ONBOARDED/);
    });

    it('serves the package content whole and by byte ranges', async () => {
      const url = `${PACKAGES}/${pkg.id}/package_content`;
      const whole = await tenantA.get(url, { Accept: 'application/zip' });
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-type')).toBe('application/zip');
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      expect(whole.bytes.equals(csar)).toBe(true);
      const head = await tenantA.get(url, { Range: 'bytes=0-9' });
      expect(head.status).toBe(206);
      expect(head.headers.get('content-range')).toBe(`bytes 0-9/${csar.length}`);
      expect(head.bytes.equals(csar.subarray(0, 10))).toBe(true);
      const tail = await tenantA.get(url, { Range: 'bytes=-7' });
      expect(tail.status).toBe(206);
      expect(tail.bytes.equals(csar.subarray(csar.length - 7))).toBe(true);
      const open = await tenantA.get(url, { Range: `bytes=${csar.length - 3}-` });
      expect(open.bytes.equals(csar.subarray(csar.length - 3))).toBe(true);
      const beyond = expectProblem(await tenantA.get(url, { Range: `bytes=${csar.length}-` }), 416);
      expect(beyond.detail).toMatch(String(csar.length));
      expect((await tenantA.get(url, { Range: `bytes=${csar.length + 5}-${csar.length + 9}` })).headers.get('content-range')).toBe(`bytes */${csar.length}`);
      expect((await tenantA.get(url, { Range: 'lines=1-2' })).status).toBe(200);
      expectProblem(await tenantB.get(url), 404);
    });

    it('serves a one-file VNFD as text/plain or as a zip with TOSCA.meta', async () => {
      const url = `${PACKAGES}/${pkg.id}/vnfd`;
      const text = await tenantA.get(url, { Accept: 'text/plain' });
      expect(text.status).toBe(200);
      expect(text.headers.get('content-type')).toBe('text/plain');
      expect(text.bytes.equals(csarFiles({ vnfdId }).get(ENTRY_VNFD) as Buffer)).toBe(true);
      const zip = await tenantA.get(url, { Accept: 'application/zip' });
      expect(zip.headers.get('content-type')).toBe('application/zip');
      expect([...(await zipEntries(zip.bytes)).keys()]).toEqual(['TOSCA-Metadata/TOSCA.meta', ENTRY_VNFD]);
      expect((await tenantA.get(url, { Accept: 'text/plain,application/zip' })).headers.get('content-type')).toBe('text/plain');
      expectProblem(await tenantA.get(url, { Accept: 'application/json' }), 406);
    });

    it('serves the manifest and artifacts, with ranges', async () => {
      const manifest = await tenantA.get(`${PACKAGES}/${pkg.id}/manifest`, { Accept: 'text/plain' });
      expect(manifest.status).toBe(200);
      expect(manifest.bytes.toString()).toMatch(`Source: ${ENTRY_VNFD}`);
      const image = csarFiles({ vnfdId }).get(IMAGE_PATH) as Buffer;
      const artifact = await tenantA.get(`${PACKAGES}/${pkg.id}/artifacts/${IMAGE_PATH}`);
      expect(artifact.status).toBe(200);
      expect(artifact.bytes.equals(image)).toBe(true);
      const part = await tenantA.get(`${PACKAGES}/${pkg.id}/artifacts/${IMAGE_PATH}`, { Range: 'bytes=100-149' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-149/${image.length}`);
      expect(part.bytes.equals(image.subarray(100, 150))).toBe(true);
      expect((await tenantA.get(`${PACKAGES}/${pkg.id}/artifacts/${SCRIPT_PATH}`)).bytes.toString()).toMatch('echo installed');
      expectProblem(await tenantA.get(`${PACKAGES}/${pkg.id}/artifacts/${ENTRY_VNFD}`), 404);
      expectProblem(await tenantA.get(`${PACKAGES}/${pkg.id}/artifacts/Files/none.bin`), 404);
      expectProblem(await tenantA.get(`${PACKAGES}/${pkg.id}/artifacts/${IMAGE_PATH}`, { Range: 'bytes=99999-' }), 416);
    });

    it('serves the same contents by vnfdId at the SOL 003 onboarded_vnf_packages resources', async () => {
      const base = `/vnfpkgm/v1/onboarded_vnf_packages/${vnfdId}`;
      const shown = await tenantA.get(base);
      expect(shown.status).toBe(200);
      expect(shown.json).toMatchObject({ id: pkg.id, vnfdId, onboardingState: 'ONBOARDED' });
      expect((await tenantA.get(`${base}/vnfd`, { Accept: 'text/plain' })).bytes.toString()).toMatch(`descriptor_id: ${vnfdId}`);
      expect((await tenantA.get(`${base}/package_content`)).bytes.equals(csar)).toBe(true);
      expect((await tenantA.get(`${base}/manifest`)).bytes.toString()).toMatch('Source:');
      expect((await tenantA.get(`${base}/artifacts/${SCRIPT_PATH}`, { Range: 'bytes=0-8' })).bytes.toString()).toBe('#!/bin/sh');
      const listed = (await tenantA.get('/vnfpkgm/v1/onboarded_vnf_packages')).json as unknown as Json[];
      expect(listed.map((item) => item.id)).toContain(pkg.id);
      expect(listed.every((item) => item.onboardingState === 'ONBOARDED')).toBe(true);
      expectProblem(await tenantB.get(base), 404);
      expectProblem(await tenantA.get('/vnfpkgm/v1/onboarded_vnf_packages/no-such-vnfd'), 404);
    });

    it('serves a VNFD of several files as a zip only', async () => {
      const multi = await onboard(tenantA, await buildCsar({ vnfdId: 'multi-file-vnfd', multiFileVnfd: true }));
      expect(multi.onboardingState).toBe('ONBOARDED');
      const url = `${PACKAGES}/${multi.id}/vnfd`;
      const problem = expectProblem(await tenantA.get(url, { Accept: 'text/plain' }), 406);
      expect(problem.detail).toMatch(/application\/zip/);
      const zip = await tenantA.get(url, { Accept: 'text/plain,application/zip' });
      expect(zip.headers.get('content-type')).toBe('application/zip');
      expect([...(await zipEntries(zip.bytes)).keys()]).toEqual(['TOSCA-Metadata/TOSCA.meta', ENTRY_VNFD, TYPES_VNFD]);
      expect((await zipEntries(zip.bytes)).get(TYPES_VNFD)).toMatch('example.nodes.Firewall');
      expect((await tenantA.get(`${PACKAGES}/${multi.id}/manifest`, { Accept: 'application/zip' })).headers.get('content-type')).toBe('application/zip');
      expect([...(await zipEntries((await tenantA.get(`${PACKAGES}/${multi.id}/manifest`, { Accept: 'application/zip' })).bytes)).keys()]).toEqual([MANIFEST]);
    });

    it('keeps a vnfdId unique among a tenant’s onboarded packages', async () => {
      const duplicate = await onboard(tenantA, await buildCsar({ vnfdId }));
      expect(duplicate.onboardingState).toBe('CREATED');
      expect(duplicate.operationalState).toBe('DISABLED');
      expect(duplicate.onboardingFailureDetails).toMatchObject({ status: 409, vnfdId, vnfPkgId: pkg.id });
      expect((duplicate.onboardingFailureDetails as Json).detail).toMatch(`already onboarded as VNF package ${pkg.id}`);
      await eventually(async () => (fs.existsSync(path.join(product.config.dataDir, 'packages', `${duplicate.id}.zip`)) ? undefined : true), 5000, 'the stored content to go');
      const elsewhere = await onboard(tenantB, await buildCsar({ vnfdId }));
      expect(elsewhere.onboardingState).toBe('ONBOARDED');
      const ambiguous = expectProblem(await admin.get(`/vnfpkgm/v1/onboarded_vnf_packages/${vnfdId}`), 409);
      expect(ambiguous.detail).toMatch(/several tenants/);
      expect((await tenantB.get(`/vnfpkgm/v1/onboarded_vnf_packages/${vnfdId}`)).json.id).toBe(elsewhere.id);
    });

    it('disables, refuses deletion while enabled or in use, and deletes with its file', async () => {
      const other = await onboard(tenantA, await buildCsar({ vnfdId: 'to-be-deleted' }));
      const id = other.id as string;
      const enabled = expectProblem(await tenantA.delete(`${PACKAGES}/${id}`), 409);
      expect(enabled).toMatchObject({ operationalState: 'ENABLED' });
      const etag = (await tenantA.get(`${PACKAGES}/${id}`)).headers.get('etag') as string;
      const disabled = await tenantA.patch(`${PACKAGES}/${id}`, { operationalState: 'DISABLED' }, { 'If-Match': etag });
      expect(disabled.status).toBe(200);
      expect(disabled.json).toEqual({ operationalState: 'DISABLED' });
      expect(disabled.headers.get('etag')).toBe(`"${Number(etag.replace(/"/g, '')) + 1}"`);
      expectProblem(await tenantA.patch(`${PACKAGES}/${id}`, { operationalState: 'DISABLED' }), 409);

      const catalogue = new VnfPackageCatalogue(product.application.store);
      expect(await catalogue.markUsage('tenant-a', id, 'ns-instance-1', true)).toEqual({ ok: true });
      expect((await tenantA.get(`${PACKAGES}/${id}`)).json.usageState).toBe('IN_USE');
      const inUse = expectProblem(await tenantA.delete(`${PACKAGES}/${id}`), 409);
      expect(inUse).toMatchObject({ usageState: 'IN_USE' });
      expect(await catalogue.markUsage('tenant-a', id, 'ns-instance-1', false)).toEqual({ ok: true });
      expect(await catalogue.markUsage('tenant-b', id, 'ns-instance-1', true)).toEqual({ ok: false, reason: 'not-found' });

      expect((await tenantA.delete(`${PACKAGES}/${id}`)).status).toBe(204);
      expect(fs.existsSync(path.join(product.config.dataDir, 'packages', `${id}.zip`))).toBe(false);
      expectProblem(await tenantA.get(`/vnfpkgm/v1/onboarded_vnf_packages/to-be-deleted`), 404);
      const again = await onboard(tenantA, await buildCsar({ vnfdId: 'to-be-deleted' }));
      expect(again.onboardingState).toBe('ONBOARDED');
      await disable(tenantA, again.id as string);
    });
  });
});
