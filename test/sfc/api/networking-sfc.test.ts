import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN, expectRefusal, startSfcServer, TENANT_B, type SfcServer } from './server.js';

let server: SfcServer;
beforeAll(async () => {
  server = await startSfcServer();
});
afterAll(async () => {
  await server.close();
});

const post = (resource: string, body: unknown, token?: string) => server.call('POST', `/v2.0/sfc/${resource}`, body, token);


async function portPair(device = `vm-${Math.random()}`, parameters?: object): Promise<string> {
  const ingress = await server.port(device);
  const egress = await server.port(device);
  const created = await post('port_pairs', { port_pair: { ingress, egress, ...(parameters ? { service_function_parameters: parameters } : {}) } });
  expect(created.status).toBe(201);
  return created.body.port_pair.id;
}

async function group(pairs: string[], parameters?: object): Promise<string> {
  const created = await post('port_pair_groups', { port_pair_group: { port_pairs: pairs, ...(parameters ? { port_pair_group_parameters: parameters } : {}) } });
  expect(created.status).toBe(201);
  return created.body.port_pair_group.id;
}

async function classifier(attributes: object = {}): Promise<string> {
  const created = await post('flow_classifiers', { flow_classifier: attributes });
  expect(created.status).toBe(201);
  return created.body.flow_classifier.id;
}

describe('flow classifiers', () => {
  it('creates with networking-sfc defaults and Neutron shapes', async () => {
    const created = await post('flow_classifiers', { flow_classifier: { protocol: 'TCP', destination_port_range_min: 80, destination_port_range_max: 80 } });
    expect(created.status).toBe(201);
    const fc = created.body.flow_classifier;
    expect(fc).toMatchObject({
      name: '',
      description: '',
      ethertype: 'IPv4',
      protocol: 'tcp',
      tenant_id: 'tenant-a',
      project_id: 'tenant-a',
      source_port_range_min: null,
      source_port_range_max: null,
      destination_port_range_min: 80,
      destination_port_range_max: 80,
      source_ip_prefix: null,
      logical_source_port: null,
    });
    expect(fc.id).toMatch(/^[0-9a-f-]{36}$/);
    const shown = await server.call('GET', `/v2.0/sfc/flow_classifiers/${fc.id}`);
    expect(shown.body.flow_classifier).toEqual(fc);
  });

  it('accepts protocol numbers and answers known ones by name', async () => {
    const created = await post('flow_classifiers', { flow_classifier: { protocol: 17 } });
    expect(created.body.flow_classifier.protocol).toBe('udp');
    const gre = await post('flow_classifiers', { flow_classifier: { protocol: '47' } });
    expect(gre.body.flow_classifier.protocol).toBe('47');
    expect((await post('flow_classifiers', { flow_classifier: { ethertype: 'ipv6' } })).body.flow_classifier.ethertype).toBe('IPv6');
  });

  it.each([
    [{ protocol: 'bogus' }, 'FlowClassifierInvalidProtocol', '/flow_classifier/protocol'],
    [{ protocol: 300 }, 'FlowClassifierInvalidProtocol', '/flow_classifier/protocol'],
    [{ ethertype: 'IPX' }, 'InvalidInput', '/flow_classifier/ethertype'],
    [{ protocol: 'tcp', source_port_range_min: 90, source_port_range_max: 80 }, 'FlowClassifierInvalidPortRange', '/flow_classifier/source_port_range_min'],
    [{ protocol: 'icmp', destination_port_range_min: 80 }, 'FlowClassifierProtocolRequiredWithPorts', '/flow_classifier/protocol'],
    [{ destination_port_range_max: 80 }, 'FlowClassifierProtocolRequiredWithPorts', '/flow_classifier/protocol'],
    [{ source_ip_prefix: '2001:db8::/32' }, 'FlowClassifierIpPrefixFormatConflictWithEthertype', '/flow_classifier/source_ip_prefix'],
    [{ ethertype: 'IPv6', destination_ip_prefix: '10.0.0.0/8' }, 'FlowClassifierIpPrefixFormatConflictWithEthertype', '/flow_classifier/destination_ip_prefix'],
    [{ source_ip_prefix: '10.0.0.1/8' }, 'InvalidInput', '/flow_classifier/source_ip_prefix'],
    [{ source_ip_prefix: 'ten' }, 'InvalidInput', '/flow_classifier/source_ip_prefix'],
    [{ l7_parameters: { url: '/x' } }, 'FlowClassifierInvalidL7Parameter', '/flow_classifier/l7_parameters'],
    [{ logical_source_port: '6b3d6a4e-0000-4000-8000-000000000000' }, 'FlowClassifierPortNotFound', '/flow_classifier/logical_source_port'],
    [{ source_port_range_min: 70000, protocol: 'tcp' }, 'HTTPBadRequest', '/flow_classifier/source_port_range_min'],
    [{ colour: 'red' }, 'HTTPBadRequest', '/flow_classifier/colour'],
    [{ logical_source_port: 'not-a-uuid' }, 'HTTPBadRequest', '/flow_classifier/logical_source_port'],
  ])('refuses %j with %s', async (attributes, fault, pointer) => {
    const before = (await server.call('GET', '/v2.0/sfc/flow_classifiers')).body.flow_classifiers.length;
    const response = await post('flow_classifiers', { flow_classifier: attributes });
    expectRefusal(response, fault === 'FlowClassifierPortNotFound' ? 404 : 400, fault, pointer);
    expect((await server.call('GET', '/v2.0/sfc/flow_classifiers')).body.flow_classifiers.length).toBe(before);
  });

  it('accepts an empty l7_parameters and a visible logical source port', async () => {
    const port = await server.port();
    const created = await post('flow_classifiers', { flow_classifier: { l7_parameters: {}, logical_source_port: port, source_ip_prefix: '10.1.0.0/16' } });
    expect(created.status).toBe(201);
    expect(created.body.flow_classifier.logical_source_port).toBe(port);
  });

  it('refuses a logical port of another tenant as not found', async () => {
    const foreign = await server.port('vm-b', TENANT_B);
    expectRefusal(await post('flow_classifiers', { flow_classifier: { logical_source_port: foreign } }), 404, 'FlowClassifierPortNotFound');
  });

  it('updates only name and description', async () => {
    const id = await classifier();
    const updated = await server.call('PUT', `/v2.0/sfc/flow_classifiers/${id}`, { flow_classifier: { name: 'web' } });
    expect(updated.status).toBe(200);
    expect(updated.body.flow_classifier.name).toBe('web');
    expectRefusal(await server.call('PUT', `/v2.0/sfc/flow_classifiers/${id}`, { flow_classifier: { protocol: 'udp' } }), 400, 'HTTPBadRequest', '/flow_classifier/protocol');
  });

  it('lists with attribute filters and fields, scoped to the tenant', async () => {
    await classifier({ name: 'filtered-one', protocol: 'udp' });
    const listed = await server.call('GET', '/v2.0/sfc/flow_classifiers?name=filtered-one&fields=id&fields=protocol');
    expect(listed.body.flow_classifiers).toEqual([{ id: expect.any(String), protocol: 'udp' }]);
    expect((await server.call('GET', '/v2.0/sfc/flow_classifiers', undefined, TENANT_B)).body.flow_classifiers).toEqual([]);
    const admin = await server.call('GET', '/v2.0/sfc/flow_classifiers?name=filtered-one', undefined, ADMIN);
    expect(admin.body.flow_classifiers).toHaveLength(1);
    const id = listed.body.flow_classifiers[0].id;
    expectRefusal(await server.call('GET', `/v2.0/sfc/flow_classifiers/${id}`, undefined, TENANT_B), 404, 'FlowClassifierNotFound');
    expectRefusal(await server.call('DELETE', `/v2.0/sfc/flow_classifiers/${id}`, undefined, TENANT_B), 404, 'FlowClassifierNotFound');
  });

  it('lets only the admin tenant create for another tenant', async () => {
    expectRefusal(await post('flow_classifiers', { flow_classifier: { tenant_id: 'tenant-b' } }), 403, 'PolicyNotAuthorized');
    const created = await post('flow_classifiers', { flow_classifier: { tenant_id: 'tenant-b' } }, ADMIN);
    expect(created.body.flow_classifier.project_id).toBe('tenant-b');
  });

  it('answers 401 with a NeutronError without a token', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/v2.0/sfc/port_chains' });
    expect(response.statusCode).toBe(401);
    expect(response.json().NeutronError.type).toBe('HTTPUnauthorized');
  });
});

describe('port pairs', () => {
  it('creates with default service function parameters', async () => {
    const ingress = await server.port('vm-pp');
    const egress = await server.port('vm-pp');
    const created = await post('port_pairs', { port_pair: { ingress, egress, name: 'fw' } });
    expect(created.status).toBe(201);
    expect(created.body.port_pair).toMatchObject({ ingress, egress, name: 'fw', description: '', service_function_parameters: { correlation: null, weight: 1 } });
    expectRefusal(await post('port_pairs', { port_pair: { ingress, egress } }), 409, 'PortPairIngressEgressInUse');
  });

  it.each([
    ['nsh correlation', { correlation: 'nsh' }, 'InvalidInput', '/port_pair/service_function_parameters/correlation'],
    ['an unknown correlation', { correlation: 'vlan' }, 'InvalidInput', '/port_pair/service_function_parameters/correlation'],
    ['weight 0', { weight: 0 }, 'HTTPBadRequest', '/port_pair/service_function_parameters/weight'],
    ['weight "0"', { weight: '0' }, 'InvalidInput', '/port_pair/service_function_parameters/weight'],
    ['weight "two"', { weight: 'two' }, 'HTTPBadRequest', '/port_pair/service_function_parameters/weight'],
  ])('refuses %s', async (_label, parameters, fault, pointer) => {
    const ingress = await server.port('vm-x');
    const egress = await server.port('vm-x');
    expectRefusal(await post('port_pairs', { port_pair: { ingress, egress, service_function_parameters: parameters } }), 400, fault, pointer);
  });

  it('refuses ports that are missing, unbound or of different devices', async () => {
    const ingress = await server.port('vm-1');
    const missing = '6b3d6a4e-0000-4000-8000-000000000001';
    expectRefusal(await post('port_pairs', { port_pair: { ingress, egress: missing } }), 404, 'PortPairPortNotFound', '/port_pair/egress');
    expectRefusal(await post('port_pairs', { port_pair: { ingress, egress: await server.port('vm-2') } }), 400, 'PortPairIngressEgressDifferentHost');
    expectRefusal(await post('port_pairs', { port_pair: { ingress: await server.port(''), egress: ingress } }), 400, 'PortPairIngressNoHost');
    expectRefusal(await post('port_pairs', { port_pair: { ingress, egress: await server.port('') } }), 400, 'PortPairEgressNoHost');
    expectRefusal(await post('port_pairs', { port_pair: { ingress } }), 400, 'HTTPBadRequest', '/port_pair/egress');
  });
});

describe('port pair groups', () => {
  it('defaults parameters and refuses what cannot be enforced', async () => {
    const created = await post('port_pair_groups', { port_pair_group: {} });
    expect(created.status).toBe(201);
    expect(created.body.port_pair_group).toMatchObject({
      port_pairs: [],
      tap_enabled: false,
      port_pair_group_parameters: { lb_fields: [], ppg_n_tuple_mapping: { ingress_n_tuple: {}, egress_n_tuple: {} } },
    });
    expectRefusal(await post('port_pair_groups', { port_pair_group: { port_pair_group_parameters: { lb_fields: ['ip_proto'] } } }), 400, 'HTTPBadRequest', '/port_pair_group/port_pair_group_parameters/lb_fields/0');
    expectRefusal(
      await post('port_pair_groups', { port_pair_group: { port_pair_group_parameters: { ppg_n_tuple_mapping: { ingress_n_tuple: { source_ip_prefix: '10.0.0.0/8' } } } } }),
      400,
      'HTTPBadRequest',
      '/port_pair_group/port_pair_group_parameters/ppg_n_tuple_mapping/ingress_n_tuple',
    );
    expectRefusal(await post('port_pair_groups', { port_pair_group: { tap_enabled: true } }), 400, 'HTTPBadRequest', '/port_pair_group/tap_enabled');
  });

  it('keeps a port pair in one group only, and refuses deleting a pair in use', async () => {
    const pair = await portPair();
    const first = await group([pair], { lb_fields: ['ip_src', 'tcp_dst'] });
    expectRefusal(await post('port_pair_groups', { port_pair_group: { port_pairs: [pair] } }), 409, 'PortPairInUse');
    expectRefusal(await server.call('DELETE', `/v2.0/sfc/port_pairs/${pair}`), 409, 'PortPairInUse');
    const second = await group([]);
    expectRefusal(await server.call('PUT', `/v2.0/sfc/port_pair_groups/${second}`, { port_pair_group: { port_pairs: [pair] } }), 409, 'PortPairInUse');
    // Re-stating its own pairs is not a conflict.
    expect((await server.call('PUT', `/v2.0/sfc/port_pair_groups/${first}`, { port_pair_group: { port_pairs: [pair], name: 'same' } })).status).toBe(200);
    expect((await server.call('PUT', `/v2.0/sfc/port_pair_groups/${first}`, { port_pair_group: { port_pairs: [] } })).status).toBe(200);
    expect((await server.call('DELETE', `/v2.0/sfc/port_pairs/${pair}`)).status).toBe(204);
    expectRefusal(await server.call('GET', `/v2.0/sfc/port_pairs/${pair}`), 404, 'PortPairNotFound');
  });

  it('refuses unknown pairs and pairs of inconsistent correlation', async () => {
    expectRefusal(await post('port_pair_groups', { port_pair_group: { port_pairs: ['6b3d6a4e-0000-4000-8000-000000000002'] } }), 404, 'PortPairNotFound');
    const plain = await portPair();
    const mpls = await portPair(undefined, { correlation: 'mpls' });
    expectRefusal(await post('port_pair_groups', { port_pair_group: { port_pairs: [plain, mpls] } }), 400, 'InconsistentCorrelations');
  });
});

describe('port chains', () => {
  it('defaults chain parameters, allocates a chain id, and maps order', async () => {
    const groups = [await group([await portPair()]), await group([await portPair()])];
    const fc = await classifier({ protocol: 'tcp', destination_port_range_min: 443, destination_port_range_max: 443 });
    const created = await post('port_chains', { port_chain: { port_pair_groups: groups, flow_classifiers: [fc] } });
    expect(created.status).toBe(201);
    expect(created.body.port_chain).toMatchObject({
      port_pair_groups: groups,
      flow_classifiers: [fc],
      chain_parameters: { correlation: 'mpls', symmetric: false },
      chain_id: expect.any(Number),
    });
    expect(created.body.port_chain.chain_id).toBeGreaterThanOrEqual(1);
    // Text values as the OpenStack client sends key=value parameters.
    const symmetric = await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair(undefined, { weight: '2' })])], chain_parameters: { symmetric: 'True' } } });
    expect(symmetric.body.port_chain.chain_parameters).toEqual({ correlation: 'mpls', symmetric: true });
  });

  it.each([
    [{ chain_parameters: { correlation: 'nsh' } }, 400, 'InvalidInput', '/port_chain/chain_parameters/correlation'],
    [{ chain_id: 4096 }, 400, 'InvalidInput', '/port_chain/chain_id'],
    [{ chain_id: -1 }, 400, 'HTTPBadRequest', '/port_chain/chain_id'],
  ])('refuses %j', async (attributes, status, fault, pointer) => {
    const groups = [await group([await portPair()])];
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: groups, ...attributes } }), status, fault, pointer);
  });

  it('refuses a chain without groups, with empty or unknown groups', async () => {
    expectRefusal(await post('port_chains', { port_chain: {} }), 400, 'PortPairGroupNotSpecified', '/port_chain/port_pair_groups');
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: [await group([])] } }), 400, 'InvalidInput', '/port_chain/port_pair_groups');
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: ['6b3d6a4e-0000-4000-8000-000000000003'] } }), 404, 'PortPairGroupNotFound');
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])], flow_classifiers: ['6b3d6a4e-0000-4000-8000-000000000004'] } }), 404, 'FlowClassifierNotFound');
  });

  it('refuses a group used by another chain, a classifier used by another chain, and deleting them', async () => {
    const shared = await group([await portPair()]);
    const fc = await classifier({ protocol: 'udp', destination_port_range_min: 53, destination_port_range_max: 53 });
    const chain = await post('port_chains', { port_chain: { port_pair_groups: [shared], flow_classifiers: [fc] } });
    expect(chain.status).toBe(201);
    const before = (await server.call('GET', '/v2.0/sfc/port_chains')).body.port_chains.length;
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: [shared] } }), 409, 'PortPairGroupInUse');
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])], flow_classifiers: [fc] } }), 409, 'FlowClassifierInUse');
    expect((await server.call('GET', '/v2.0/sfc/port_chains')).body.port_chains.length).toBe(before);
    expectRefusal(await server.call('DELETE', `/v2.0/sfc/flow_classifiers/${fc}`), 409, 'FlowClassifierInUse');
    expectRefusal(await server.call('DELETE', `/v2.0/sfc/port_pair_groups/${shared}`), 409, 'PortPairGroupInUse');
    expectRefusal(await server.call('PUT', `/v2.0/sfc/port_pair_groups/${shared}`, { port_pair_group: { port_pairs: [] } }), 409, 'PortPairGroupInUse');
    expect((await server.call('DELETE', `/v2.0/sfc/port_chains/${chain.body.port_chain.id}`)).status).toBe(204);
    expect((await server.call('DELETE', `/v2.0/sfc/flow_classifiers/${fc}`)).status).toBe(204);
    expect((await server.call('DELETE', `/v2.0/sfc/port_pair_groups/${shared}`)).status).toBe(204);
  });

  it('refuses classifiers overlapping another chain on the same logical source port, not on another', async () => {
    const source = await server.port();
    const otherSource = await server.port();
    // IPv6, so that the IPv4 classifiers of earlier chains (any source port) stay out of the way.
    const v6 = { ethertype: 'IPv6', protocol: 'tcp', logical_source_port: source };
    const first = await classifier({ ...v6, destination_ip_prefix: '2001:db8:1::/48' });
    expect((await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])], flow_classifiers: [first] } })).status).toBe(201);
    const overlapping = await classifier({ ...v6, destination_ip_prefix: '2001:db8:1:7::/64' });
    expectRefusal(await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])], flow_classifiers: [overlapping] } }), 409, 'PortChainFlowClassifierInConflict');
    const elsewhere = await classifier({ ...v6, logical_source_port: otherSource, destination_ip_prefix: '2001:db8:1:7::/64' });
    expect((await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])], flow_classifiers: [elsewhere] } })).status).toBe(201);
    const disjoint = await classifier({ ...v6, destination_ip_prefix: '2001:db8:2::/48' });
    expect((await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])], flow_classifiers: [disjoint] } })).status).toBe(201);
  });

  it('gives a group to one of two chains created at once, and never a deleted group', async () => {
    const contested = await group([await portPair()]);
    const attempts = await Promise.all([0, 1, 2].map(() => post('port_chains', { port_chain: { port_pair_groups: [contested] } })));
    expect(attempts.map(({ status }) => status).sort()).toEqual([201, 409, 409]);
    const holders = (await server.call('GET', `/v2.0/sfc/port_chains?port_pair_groups=${contested}`)).body.port_chains;
    expect(holders).toHaveLength(1);

    const doomed = await group([await portPair()]);
    const [created, deleted] = await Promise.all([
      post('port_chains', { port_chain: { port_pair_groups: [doomed] } }),
      server.call('DELETE', `/v2.0/sfc/port_pair_groups/${doomed}`),
    ]);
    // Whichever commits first wins; the other sees the conflict, and the store never holds a chain through a missing group.
    if (created.status === 201) {
      expect(deleted.status).toBe(409);
      expect((await server.call('GET', `/v2.0/sfc/port_pair_groups/${doomed}`)).status).toBe(200);
    } else {
      expect(deleted.status).toBe(204);
      expect([404, 409]).toContain(created.status);
    }
  });

  it('takes a given chain id once, and frees it with the chain', async () => {
    const given = await post('port_chains', { port_chain: { chain_id: 4095, port_pair_groups: [await group([await portPair()])] } });
    expect(given.body.port_chain.chain_id).toBe(4095);
    expectRefusal(await post('port_chains', { port_chain: { chain_id: 4095, port_pair_groups: [await group([await portPair()])] } }), 409, 'PortChainChainIdInConflict');
    expect((await server.call('DELETE', `/v2.0/sfc/port_chains/${given.body.port_chain.id}`)).status).toBe(204);
    const again = await post('port_chains', { port_chain: { chain_id: 4095, port_pair_groups: [await group([await portPair()])] } });
    expect(again.body.port_chain.chain_id).toBe(4095);
  });

  it('updates groups and classifiers with the same rules, but not chain parameters', async () => {
    const chain = await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])] } });
    const id = chain.body.port_chain.id;
    const next = await group([await portPair()]);
    const fc = await classifier({ protocol: 'icmp', source_ip_prefix: '10.99.0.0/16' });
    const updated = await server.call('PUT', `/v2.0/sfc/port_chains/${id}`, { port_chain: { port_pair_groups: [next], flow_classifiers: [fc], name: 'renamed' } });
    expect(updated.status).toBe(200);
    expect(updated.body.port_chain).toMatchObject({ port_pair_groups: [next], flow_classifiers: [fc], name: 'renamed' });
    expectRefusal(await server.call('PUT', `/v2.0/sfc/port_chains/${id}`, { port_chain: { chain_parameters: { symmetric: true } } }), 400, 'HTTPBadRequest', '/port_chain/chain_parameters');
  });
});

describe('service graphs', () => {
  it('connects existing chains, refuses loops, and keeps its chains from deletion', async () => {
    const chain = async () => (await post('port_chains', { port_chain: { port_pair_groups: [await group([await portPair()])] } })).body.port_chain.id as string;
    const [a, b] = [await chain(), await chain()];
    expectRefusal(await post('service_graphs', { service_graph: { port_chains: { [a]: [b], [b]: [a] } } }), 400, 'ServiceGraphLoopDetected');
    expectRefusal(await post('service_graphs', { service_graph: { port_chains: { [a]: ['6b3d6a4e-0000-4000-8000-000000000005'] } } }), 404, 'PortChainNotFound');
    const graph = await post('service_graphs', { service_graph: { name: 'g', port_chains: { [a]: [b] } } });
    expect(graph.status).toBe(201);
    expect(graph.body.service_graph).toMatchObject({ name: 'g', port_chains: { [a]: [b] } });
    expectRefusal(await server.call('DELETE', `/v2.0/sfc/port_chains/${b}`), 409, 'ServiceGraphPortChainInUse');
    expect((await server.call('DELETE', `/v2.0/sfc/service_graphs/${graph.body.service_graph.id}`)).status).toBe(204);
    expect((await server.call('DELETE', `/v2.0/sfc/port_chains/${b}`)).status).toBe(204);
  });
});
