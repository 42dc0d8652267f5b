import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startProduct, TENANT_A_TOKEN, type RunningProduct } from '../support/application.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { apiAs, createPackage, eventually, onboardingEnded, PACKAGES, type Api, type Json } from './support/api.js';
import { buildCsar, csarFiles, ENTRY_VNFD, zipFiles } from './support/csar.js';

/** A loopback web server that serves packages, counts requests and can redirect. */
async function packageServer(routes: Record<string, { status: number; body?: Buffer; location?: string }>) {
  const requests: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    authorizations.push(request.headers.authorization);
    const route = routes[request.url ?? ''] ?? { status: 404 };
    response.writeHead(route.status, route.location ? { Location: route.location } : { 'Content-Type': 'application/zip' });
    response.end(route.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    requests,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('VNF package uploads', () => {
  let product: RunningProduct;
  let api: Api;
  let dir: string;

  beforeAll(async () => {
    product = await startProduct();
    api = apiAs(product, TENANT_A_TOKEN);
    dir = makeTempDir('uploads');
  });
  afterAll(async () => {
    await product.stop();
    removeTempDir(dir);
  });

  async function expectUntouched(id: string): Promise<void> {
    const { json } = await api.get(`${PACKAGES}/${id}`);
    expect(json.onboardingState).toBe('CREATED');
    expect(json.onboardingFailureDetails).toBeUndefined();
  }

  describe('PUT package_content', () => {
    it('takes the package as the "file" part of multipart/form-data', async () => {
      const id = await createPackage(api);
      const form = new FormData();
      form.append('file', new Blob([await buildCsar({ vnfdId: 'multipart-vnfd' })], { type: 'application/zip' }), 'package.zip');
      const upload = await api.put(`${PACKAGES}/${id}/package_content`, form);
      expect(upload.status).toBe(202);
      expect(upload.headers.get('location')).toBe(`${product.url}${PACKAGES}/${id}`);
      expect(await onboardingEnded(api, id)).toMatchObject({ onboardingState: 'ONBOARDED', vnfdId: 'multipart-vnfd' });
    });

    it('takes packages larger than the JSON body limit', async () => {
      const crypto = await import('node:crypto');
      const csar = await buildCsar({ vnfdId: 'large-image', imageBytes: crypto.randomBytes(3 * 1024 * 1024) });
      expect(csar.length).toBeGreaterThan(product.config.http.bodyLimitBytes);
      const id = await createPackage(api);
      expect((await api.put(`${PACKAGES}/${id}/package_content`, csar, 'application/zip')).status).toBe(202);
      expect(await onboardingEnded(api, id)).toMatchObject({ onboardingState: 'ONBOARDED', checksum: { hash: crypto.createHash('sha256').update(csar).digest('hex') } });
      expect((await api.get(`${PACKAGES}/${id}/package_content`)).bytes.equals(csar)).toBe(true);
    });

    it('refuses other media types with 415 and changes nothing', async () => {
      const id = await createPackage(api);
      const asJson = await api.put(`${PACKAGES}/${id}/package_content`, '{"zip": false}', 'application/json');
      expect(asJson.status).toBe(415);
      expect(asJson.headers.get('content-type')).toMatch(/problem\+json/);
      await expectUntouched(id);
    });

    it('refuses an empty upload and a multipart body without a file part, recording why', async () => {
      const id = await createPackage(api);
      expect((await api.put(`${PACKAGES}/${id}/package_content`, Buffer.alloc(0), 'application/zip')).status).toBe(400);
      const after = (await api.get(`${PACKAGES}/${id}`)).json;
      expect(after.onboardingState).toBe('CREATED');
      expect((after.onboardingFailureDetails as Json).detail).toMatch(/no content/);
      const form = new FormData();
      form.append('other', 'text');
      const noFile = await api.put(`${PACKAGES}/${id}/package_content`, form);
      expect(noFile.status).toBe(400);
      expect(noFile.json.detail).toMatch(/"file"/);
      expect((await api.get(`${PACKAGES}/${id}`)).json.onboardingState).toBe('CREATED');
    });

    it('records a package that is not a zip in onboardingFailureDetails and accepts a new upload', async () => {
      const id = await createPackage(api);
      expect((await api.put(`${PACKAGES}/${id}/package_content`, Buffer.from('this is not a zip archive'), 'application/zip')).status).toBe(202);
      const failed = await onboardingEnded(api, id);
      expect(failed).toMatchObject({ onboardingState: 'CREATED', operationalState: 'DISABLED' });
      expect(failed.onboardingFailureDetails).toMatchObject({ status: 422, title: expect.any(String), errors: [expect.objectContaining({ code: expect.any(String) })] });
      await eventually(async () => (fs.existsSync(path.join(product.config.dataDir, 'packages', `${id}.zip`)) ? undefined : true), 5000, 'the stored content to go');
      expect((await api.put(`${PACKAGES}/${id}/package_content`, await buildCsar({ vnfdId: 'second-try' }), 'application/zip')).status).toBe(202);
      const onboarded = await onboardingEnded(api, id);
      expect(onboarded).toMatchObject({ onboardingState: 'ONBOARDED', vnfdId: 'second-try' });
      expect(onboarded.onboardingFailureDetails).toBeUndefined();
    });

    it('lists the descriptor errors with file, line and column in onboardingFailureDetails', async () => {
      const files = csarFiles({ vnfdText: 'tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n    VNF: [unclosed\n' });
      const id = await createPackage(api);
      expect((await api.put(`${PACKAGES}/${id}/package_content`, await zipFiles(files), 'application/zip')).status).toBe(202);
      const failed = await onboardingEnded(api, id);
      const details = failed.onboardingFailureDetails as Json;
      expect(details).toMatchObject({ status: 422, instance: `${PACKAGES}/${id}` });
      const errors = details.errors as Json[];
      expect(errors.length).toBeGreaterThan(0);
      const first = errors.find((error) => error.file === ENTRY_VNFD) as { line: number; column: number };
      expect(first).toMatchObject({ line: expect.any(Number), column: expect.any(Number), message: expect.any(String), location: expect.stringContaining(ENTRY_VNFD) });
      expect(details.detail).toContain(`${ENTRY_VNFD}:${first.line}:${first.column}`);
    });
  });

  describe('upload_from_uri', () => {
    const fromUri = (id: string, body: unknown) => api.post(`${PACKAGES}/${id}/package_content/upload_from_uri`, body);

    it('fetches a package from a file path', async () => {
      const file = path.join(dir, 'package.zip');
      fs.writeFileSync(file, await buildCsar({ vnfdId: 'from-file' }));
      const id = await createPackage(api);
      const accepted = await fromUri(id, { addressInformation: `file://${file}` });
      expect(accepted.status).toBe(202);
      expect(await onboardingEnded(api, id)).toMatchObject({ onboardingState: 'ONBOARDED', vnfdId: 'from-file' });
    });

    it('fetches a package over http from a loopback host, with basic credentials', async () => {
      const csar = await buildCsar({ vnfdId: 'from-http' });
      const server = await packageServer({ '/pkg.zip': { status: 200, body: csar } });
      try {
        const id = await createPackage(api);
        expect((await fromUri(id, { addressInformation: `${server.base}/pkg.zip`, userName: 'fetcher', password: 'secret' })).status).toBe(202);
        expect(await onboardingEnded(api, id)).toMatchObject({ onboardingState: 'ONBOARDED', vnfdId: 'from-http' });
        expect(server.authorizations).toEqual([`Basic ${Buffer.from('fetcher:secret').toString('base64')}`]);
        const viaLocalhost = await createPackage(api);
        expect((await fromUri(viaLocalhost, { addressInformation: `http://localhost:${server.port}/missing.zip` })).status).toBe(202);
        const failed = await onboardingEnded(api, viaLocalhost);
        expect((failed.onboardingFailureDetails as Json).detail).toMatch(/answered 404/);
      } finally {
        await server.close();
      }
    });

    it('refuses hosts other than this machine with 400 before fetching anything', async () => {
      const id = await createPackage(api);
      for (const address of ['http://192.0.2.10/pkg.zip', 'https://example.com/pkg.zip', 'http://10.0.0.1:8080/x.zip', 'ftp://127.0.0.1/pkg.zip', 'file://otherhost/tmp/pkg.zip', 'not a uri']) {
        const refused = await fromUri(id, { addressInformation: address });
        expect(refused.status).toBe(400);
        expect(refused.json.violations).toEqual([expect.objectContaining({ pointer: '/addressInformation', in: 'body' })]);
      }
      expect((await fromUri(id, { addressInformation: 'file:///tmp/x.zip', extra: 1 })).status).toBe(400);
      expect((await fromUri(id, {})).status).toBe(400);
      await expectUntouched(id);
    });

    it('does not follow a redirect away from the loopback host', async () => {
      const server = await packageServer({ '/moved.zip': { status: 302, location: 'http://192.0.2.10/pkg.zip' } });
      try {
        const id = await createPackage(api);
        expect((await fromUri(id, { addressInformation: `${server.base}/moved.zip` })).status).toBe(202);
        const failed = await onboardingEnded(api, id);
        expect((failed.onboardingFailureDetails as Json).detail).toMatch(/302.*redirects are not followed/);
        expect(server.requests).toEqual(['/moved.zip']);
      } finally {
        await server.close();
      }
    });

    it('records a missing or unreadable file', async () => {
      const id = await createPackage(api);
      expect((await fromUri(id, { addressInformation: `file://${path.join(dir, 'absent.zip')}` })).status).toBe(202);
      expect(((await onboardingEnded(api, id)).onboardingFailureDetails as Json).detail).toMatch(/ENOENT/);
      const other = await createPackage(api);
      expect((await fromUri(other, { addressInformation: `file://${dir}` })).status).toBe(202);
      expect(((await onboardingEnded(api, other)).onboardingFailureDetails as Json).detail).toMatch(/not a regular file/);
    });

    it('refuses a fetch into a package that is not CREATED', async () => {
      const file = path.join(dir, 'twice.zip');
      fs.writeFileSync(file, await buildCsar({ vnfdId: 'twice' }));
      const id = await createPackage(api);
      expect((await fromUri(id, { addressInformation: `file://${file}` })).status).toBe(202);
      await onboardingEnded(api, id);
      expect((await fromUri(id, { addressInformation: `file://${file}` })).status).toBe(409);
    });
  });
});
