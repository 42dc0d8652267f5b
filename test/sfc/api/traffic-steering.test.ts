import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chainIntents } from '../../../sfc/chains/mapping.js';
import { storedChainResources, upgradeStoredSteeringChains } from '../../../sfc/api/index.js';
import { expectRefusal, startSfcServer, TENANT_B, type SfcServer } from './server.js';

let server: SfcServer;
beforeAll(async () => {
  server = await startSfcServer();
});
afterAll(async () => {
  await server.close();
});

const post = (resource: string, body: unknown, token?: string) => server.call('POST', `/v2.0/ts/${resource}`, body, token);


describe('Traffic Steering classifiers', () => {
  it("creates the seed's classifier (Protocol spelling), answering 201 and lower-case protocol", async () => {
    const created = await post('classifiers', { classifier: { name: 'VM4FW', Protocol: 6, port_range: '800:900, 1200:1300', src_ip: '1.1.1.1/32', dst_ip: '2.2.2.2/32' } });
    expect(created.status).toBe(201);
    expect(created.body.classifier).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenant_id: 'tenant-a',
      project_id: 'tenant-a',
      name: 'VM4FW',
      description: '',
      protocol: 6,
      port_range: '800:900,1200:1300',
      src_ip: '1.1.1.1/32',
      dst_ip: '2.2.2.2/32',
    });
    const v6 = await post('classifiers', { classifier: { protocol: 17, port_range: '53', src_ip: '2001:db8::/32' } });
    expect(v6.status).toBe(201);
  });

  it.each([
    [{ protocol: 6, port_range: '8000:900' }, '/classifier/port_range'],
    [{ protocol: 6, port_range: '80:90000' }, '/classifier/port_range'],
    [{ protocol: 6, port_range: '80-90' }, '/classifier/port_range'],
    [{ protocol: 6, port_range: '80:90,' }, '/classifier/port_range'],
    [{ protocol: 1, port_range: '80' }, '/classifier/protocol'],
    [{ port_range: '80' }, '/classifier/protocol'],
    [{ protocol: 6, Protocol: 17 }, '/classifier/Protocol'],
    [{ src_ip: '1.1.1.1/24' }, '/classifier/src_ip'],
    [{ dst_ip: '2001:db8::1/32' }, '/classifier/dst_ip'],
    [{ dst_ip: '300.1.1.1/32' }, '/classifier/dst_ip'],
    [{ src_ip: '10.0.0.0/8', dst_ip: '2001:db8::/32' }, '/classifier/dst_ip'],
  ])('refuses %j', async (attributes, pointer) => {
    expectRefusal(await post('classifiers', { classifier: attributes }), 400, 'InvalidInput', pointer);
  });

  it('refuses schema violations with pointers', async () => {
    expectRefusal(await post('classifiers', { classifier: { protocol: 256 } }), 400, 'HTTPBadRequest', '/classifier/protocol');
    expectRefusal(await post('classifiers', { classifier: { protocol: '6' } }), 400, 'HTTPBadRequest', '/classifier/protocol');
    expectRefusal(await post('classifiers', { classifier: { colour: 'red' } }), 400, 'HTTPBadRequest', '/classifier/colour');
  });
});

describe('Traffic Steering port chains', () => {
  it('maps the FW -> LB -> VM example with a primary|backup pair to the chain model', async () => {
    const [fwIn, fwOut, lbIn, lbInStandby, lbOut, lbOutStandby] = await Promise.all(['fw', 'fw', 'lb', 'lb2', 'lb', 'lb2'].map((device) => server.port(device)));
    const classifier = (await post('classifiers', { classifier: { name: 'VM4FW', protocol: 6, port_range: '80:80', dst_ip: '10.9.0.0/16' } })).body.classifier.id;
    const ports = { [fwIn as string]: [fwOut], [`${lbIn} | ${lbInStandby}`]: [`${lbOut}|${lbOutStandby}`] };
    const created = await post('port_chains', { port_chain: { name: 'FW-LB', classifiers: [classifier], ports } });
    expect(created.status).toBe(201);
    const chain = created.body.port_chain;
    expect(Object.entries(chain.ports)).toEqual([
      [fwIn, [fwOut]],
      [`${lbIn}|${lbInStandby}`, [`${lbOut}|${lbOutStandby}`]],
    ]);
    const shown = await server.call('GET', `/v2.0/ts/port_chains/${chain.id}`);
    expect(shown.body.port_chain).toEqual(chain);

    const intent = chainIntents(await storedChainResources(server.repositories)).find(({ id }) => id === chain.id);
    expect(intent).toEqual({
      id: chain.id,
      tenantId: 'tenant-a',
      api: 'traffic-steering',
      chainId: chain.chain_id,
      correlation: 'none',
      symmetric: false,
      classifiers: [
        {
          id: classifier,
          ethertype: 'IPv4',
          protocol: 6,
          sourcePrefix: undefined,
          destinationPrefix: '10.9.0.0/16',
          sourcePorts: [],
          destinationPorts: [{ min: 80, max: 80 }],
          logicalSourcePort: undefined,
          logicalDestinationPort: undefined,
        },
      ],
      hops: [
        { id: fwIn, loadBalanceFields: [], instances: [{ id: fwIn, ingressPort: fwIn, egressPort: fwOut, weight: 1, backup: undefined }] },
        {
          id: lbIn,
          loadBalanceFields: [],
          instances: [{ id: lbIn, ingressPort: lbIn, egressPort: lbOut, weight: 1, backup: { ingressPort: lbInStandby, egressPort: lbOutStandby } }],
        },
      ],
    });
    expectRefusal(await server.call('DELETE', `/v2.0/ts/classifiers/${classifier}`), 409, 'ClassifierInUse');
    expectRefusal(await post('port_chains', { port_chain: { classifiers: [classifier], ports: { [await server.port()]: [await server.port()] } } }), 409, 'ClassifierInUse');
    expect((await server.call('DELETE', `/v2.0/ts/port_chains/${chain.id}`)).status).toBe(204);
    expect((await server.call('DELETE', `/v2.0/ts/classifiers/${classifier}`)).status).toBe(204);
  });

  it('a standby on one side only keeps the primary port of the other side', async () => {
    const [ingress, egress, egressStandby] = [await server.port(), await server.port(), await server.port()];
    const created = await post('port_chains', { port_chain: { ports: { [ingress]: [`${egress}|${egressStandby}`] } } });
    const intent = chainIntents(await storedChainResources(server.repositories)).find(({ id }) => id === created.body.port_chain.id);
    expect(intent?.hops[0]?.instances[0]?.backup).toEqual({ ingressPort: ingress, egressPort: egressStandby });
  });

  it('refuses malformed entries, repeated ports, unknown or foreign ports and classifiers', async () => {
    const [a, b] = [await server.port(), await server.port()];
    expectRefusal(await post('port_chains', { port_chain: { ports: { [a]: [`${b}|`] } } }), 400, 'InvalidInput', `/port_chain/ports/${a}/0`);
    expectRefusal(await post('port_chains', { port_chain: { ports: { [`${a}|x|y`]: [b] } } }), 400, 'InvalidInput');
    // One port in two hops; a one-armed function (ingress and egress the same port) is one hop and allowed.
    expectRefusal(await post('port_chains', { port_chain: { ports: { [a]: [b], [b]: [a] } } }), 400, 'InvalidInput');
    expectRefusal(await post('port_chains', { port_chain: { ports: { [a]: [b, b] } } }), 400, 'HTTPBadRequest', `/port_chain/ports/${a}`);
    expectRefusal(await post('port_chains', { port_chain: { ports: {} } }), 400, 'HTTPBadRequest', '/port_chain/ports');
    expectRefusal(await post('port_chains', { port_chain: { ports: { [a]: ['no-such-port'] } } }), 404, 'PortNotFound');
    const foreign = await server.port('vm-b', TENANT_B);
    expectRefusal(await post('port_chains', { port_chain: { ports: { [a]: [foreign] } } }), 404, 'PortNotFound');
    expectRefusal(await post('port_chains', { port_chain: { classifiers: ['no-such-classifier'], ports: { [a]: [b] } } }), 404, 'ClassifierNotFound');
    expect((await server.call('GET', '/v2.0/ts/port_chains', undefined, TENANT_B)).body.port_chains).toEqual([]);
  });

  it('spreads a service function over load-balanced instances listed with ",", each with its own standby', async () => {
    const [fw1, fw2, fw3, lbIn, lbOut, lbStandby] = await Promise.all(['fw1', 'fw2', 'fw3', 'lb', 'lb', 'lb2'].map((device) => server.port(device)));
    const ports = { [`${fw1}, ${fw2}|${fw3}`]: [`${fw1},${fw2}`], [lbIn as string]: [`${lbOut}|${lbStandby}`] };
    const created = await post('port_chains', { port_chain: { name: 'FW-pool', ports } });
    expect(created.status).toBe(201);
    expect(Object.entries(created.body.port_chain.ports)).toEqual([
      [`${fw1},${fw2}|${fw3}`, [`${fw1},${fw2}`]],
      [lbIn, [`${lbOut}|${lbStandby}`]],
    ]);
    const intent = chainIntents(await storedChainResources(server.repositories)).find(({ id }) => id === created.body.port_chain.id);
    expect(intent?.hops).toEqual([
      {
        id: fw1,
        loadBalanceFields: [],
        instances: [
          { id: fw1, ingressPort: fw1, egressPort: fw1, weight: 1, backup: undefined },
          { id: fw2, ingressPort: fw2, egressPort: fw2, weight: 1, backup: { ingressPort: fw3, egressPort: fw2 } },
        ],
      },
      { id: lbIn, loadBalanceFields: [], instances: [{ id: lbIn, ingressPort: lbIn, egressPort: lbOut, weight: 1, backup: { ingressPort: lbIn, egressPort: lbStandby } }] },
    ]);
    expect((await server.call('DELETE', `/v2.0/ts/port_chains/${created.body.port_chain.id}`)).status).toBe(204);
  });

  it('refuses load-balanced entries whose ingress and egress list different numbers of instances, or an empty instance', async () => {
    const [a, b, c] = [await server.port(), await server.port(), await server.port()];
    const mismatch = await post('port_chains', { port_chain: { ports: { [`${a},${b}`]: [c] } } });
    expectRefusal(mismatch, 400, 'InvalidInput', `/port_chain/ports/${a},${b}/0`);
    expect(mismatch.body.detail).toContain('lists 2 load-balanced instances');
    expectRefusal(await post('port_chains', { port_chain: { ports: { [`${a},`]: [`${b},${c}`] } } }), 400, 'InvalidInput', `/port_chain/ports/${a},`);
    // A port serves one instance of one function only.
    expectRefusal(await post('port_chains', { port_chain: { ports: { [`${a},${b}`]: [`${a},${a}`] } } }), 400, 'InvalidInput');
    expect((await server.call('GET', '/v2.0/ts/port_chains')).body.port_chains.filter((chain: { ports: Record<string, string[]> }) => Object.keys(chain.ports).some((key) => key.includes(a)))).toEqual([]);
  });

  it('rewrites a chain stored with one instance on the hop itself to the hop with its instances, keeping its ports', async () => {
    const [ingress, ingressStandby, egress] = [await server.port(), await server.port(), await server.port()];
    const created = (await post('port_chains', { port_chain: { ports: { [`${ingress}|${ingressStandby}`]: [egress] } } })).body.port_chain;
    const stored = await server.repositories.steeringPortChains.get(created.id);
    if (!stored) throw new Error('the chain was not stored');
    const legacyHops = stored.value.hops.flatMap((hop) => hop.instances);
    await server.repositories.steeringPortChains.update({ ...stored.value, hops: legacyHops as never }, stored.revision);

    expect(await upgradeStoredSteeringChains(server.repositories)).toBe(1);
    expect((await server.repositories.steeringPortChains.get(created.id))?.value.hops).toEqual([{ instances: legacyHops }]);
    expect((await server.call('GET', `/v2.0/ts/port_chains/${created.id}`)).body.port_chain.ports).toEqual({ [`${ingress}|${ingressStandby}`]: [egress] });
    expect(await upgradeStoredSteeringChains(server.repositories)).toBe(0);
  });

  it('documents the takeover rule in the API docs', async () => {
    const docs = await server.app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.body).toContain('takes over when the primary ingress port goes down');
    expect(docs.body).toContain('separated by \\",\\" in the key and in the element');
  });
});
