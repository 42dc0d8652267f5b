import { startProduct, TENANT_A_TOKEN, type RunningProduct } from '../support/application.js';

describe('the product in one process', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct();
  });
  afterAll(async () => product.stop());

  it.each([
    ['vnfpkgm', '2.1.0'],
    ['nsd', '2.1.0'],
    ['nslcm', '2.1.0'],
    ['vnflcm', '1.3.0'],
  ])('hosts the %s API versions resource', async (api, version) => {
    const response = await product.request(`/${api}/v1/api_versions`, { headers: { Authorization: `Bearer ${TENANT_A_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('version')).toBe(version);
    expect(await response.json()).toEqual({ uriPrefix: `/${api}/v1`, apiVersions: [{ version, isDeprecated: false }] });
  });

  it('uses the embedded store by default and reports ready', async () => {
    expect(product.application.store.backend).toBe('sqlite');
    expect((await fetch(`${product.url}/readyz`)).status).toBe(200);
  });
});
