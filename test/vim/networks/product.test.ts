import { startProduct, TENANT_A_TOKEN, type RunningProduct } from '../../support/application.js';

describe('networks and ports in the running product', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct();
  });
  afterAll(async () => product.stop());

  it('serves /v2.0/networks and /v2.0/ports with the X-Auth-Token OpenStack clients send', async () => {
    const headers = { 'X-Auth-Token': TENANT_A_TOKEN, 'Content-Type': 'application/json' };
    const network = await fetch(`${product.url}/v2.0/networks`, { method: 'POST', headers, body: JSON.stringify({ network: { name: 'service-net' } }) });
    expect(network.status).toBe(201);
    const { network: created } = (await network.json()) as { network: { id: string; 'provider:network_type': string; 'provider:segmentation_id': number } };
    expect(created['provider:network_type']).toBe('vlan');
    const port = await fetch(`${product.url}/v2.0/ports`, { method: 'POST', headers, body: JSON.stringify({ port: { network_id: created.id, name: 'fw-in' } }) });
    expect(port.status).toBe(201);
    expect(((await port.json()) as { port: { status: string } }).port.status).toBe('DOWN');
  });
});
