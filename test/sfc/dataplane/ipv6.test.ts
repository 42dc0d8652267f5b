import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import type { NetworkNamespace } from '../../support/netns.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { capture, tcpFlows, tcpServer, type TcpServer } from '../../support/traffic.js';

/**
 * IPv6 classification on a real Open vSwitch the product programs: EXT -> FW -> VM, FW an L2-transparent
 * function. EXT's and VM's Neutron ports hold an IPv4 and an IPv6 fixed IP (the VIM takes IPv6 addresses in
 * `fixed_ips`), so that delivery after the chain can resolve the IPv6 destination to the VM's MAC. The lab
 * namespaces start with IPv6 off (see `NetworkNamespace.create`): the endpoints get it back on and a
 * 2001:db8::/64 address each; the function keeps it off (its `tc` redirect needs no stack).
 *
 * Neighbour discovery is multicast (33:33:ff:..): the network's broadcast flow matches the multicast bit, so
 * EXT and VM resolve each other directly, and the chain only ever sees the classified TCP.
 */
const V6 = { ext: '2001:db8::1', vm: '2001:db8::2' } as const;

describe('IPv6 classification on Open vSwitch', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  let port: Record<'ext' | 'vm' | 'fwIn' | 'fwOut', NeutronPort>;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fw: TransparentFunction;
  const servers: TcpServer[] = [];
  const created: Array<[string, string]> = [];

  /** A Neutron port with an IPv4 and an IPv6 fixed IP. */
  async function dualStackPort(name: string, v4: string, v6: string): Promise<NeutronPort> {
    const answer = (await sfc.call('POST', '/v2.0/ports', {
      port: { network_id: sfc.networkId, name, device_id: `device-${name}`, device_owner: 'compute:lab', fixed_ips: [{ ip_address: v4 }, { ip_address: v6 }] },
    })) as { port: { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> } };
    expect(answer.port.fixed_ips.map((one) => one.ip_address)).toEqual([v4, v6]);
    return { id: answer.port.id, mac: answer.port.mac_address, ip: v4 };
  }

  async function enableIpv6(namespace: NetworkNamespace, address: string): Promise<void> {
    await namespace.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0', 'net.ipv6.conf.eth0.disable_ipv6=0']);
    // nodad: usable at once, no duplicate address detection to wait for.
    await namespace.exec('ip', ['-6', 'addr', 'add', `${address}/64`, 'dev', 'eth0', 'nodad']);
  }

  beforeAll(async () => {
    ovs = await OvsInstance.start('ip6');
    sfc = await SfcProduct.start(ovs);
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    port = {
      ext: await dualStackPort('ext', '198.18.62.1', V6.ext),
      vm: await dualStackPort('vm', '198.18.62.2', V6.vm),
      fwIn: await sfc.port('fwIn', '198.18.62.11', 'fw'),
      fwOut: await sfc.port('fwOut', '198.18.62.12', 'fw'),
    };
    ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    await enableIpv6(ext.namespace, V6.ext);
    await enableIpv6(vm.namespace, V6.vm);
    fw = await lab.transparentFunction('fw', { ingress: { mac: port.fwIn.mac, ifaceId: port.fwIn.id }, egress: { mac: port.fwOut.mac, ifaceId: port.fwOut.id } });
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    for (const address of [V6.vm, vm.ip]) for (const serverPort of [80, 22]) servers.push(await tcpServer(vm.namespace, address, serverPort));
  }, 60000);

  afterAll(async () => {
    for (const [resource, id] of created.reverse()) await sfc?.call('DELETE', `/v2.0/${resource}/${id}`).catch(() => undefined);
    for (const server of servers) await server.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  /** Forward and reverse frames FW redirected while `count` TCP flows ran from EXT to `to`:`serverPort`. */
  async function throughFw(to: string, serverPort: number, count: number): Promise<{ failed: number; forward: number; reverse: number }> {
    const before = (await fw.counters()).redirected;
    const flows = await tcpFlows(ext.namespace, { to, port: serverPort, count });
    const after = (await fw.counters()).redirected;
    return { failed: flows.failed, forward: after.forward - before.forward, reverse: after.reverse - before.reverse };
  }

  it('delivers IPv6 by known MACs before any chain: neighbour discovery crosses the multicast flow', async () => {
    await waitFor('IPv6 TCP from EXT to the VM', async () => ((await tcpFlows(ext.namespace, { to: V6.vm, port: 22, count: 1, timeoutMs: 1000 })).failed === 0 ? true : undefined), 10000);
    const neighbours = (await ext.namespace.exec('ip', ['-6', 'neigh', 'show', V6.vm, 'dev', 'eth0'])).stdout;
    expect(neighbours).toContain(port.vm.mac);
    // Not yet in a chain, FW's ports are ordinary members of the network and get its multicast (the
    // endpoints' MLD reports and router solicitations, which the tc counters would count): a capture on
    // its in0 tells that no TCP came by.
    const fwSide = await capture(fw.namespace, fw.ingress.interfaceName, 'ip6 and tcp');
    const direct = await tcpFlows(ext.namespace, { to: V6.vm, port: 80, count: 5 }).catch(async (error: unknown) => {
      await fwSide.stop().catch(() => undefined);
      throw error;
    });
    const captured = await fwSide.stop();
    expect(direct.failed).toBe(0);
    expect(captured.map((packet) => packet.text)).toEqual([]);
  });

  it('steers TCP over IPv6 through FW with a Traffic Steering classifier of IPv6 prefixes; IPv4 TCP to the same port goes direct', async () => {
    const classifier = (await sfc.call('POST', '/v2.0/ts/classifiers', {
      classifier: { name: 'web6', Protocol: 6, port_range: '80:80', src_ip: '2001:db8::/64', dst_ip: `${V6.vm}/128` },
    })) as { classifier: { id: string } };
    created.push(['ts/classifiers', classifier.classifier.id]);
    const chain = (await sfc.call('POST', '/v2.0/ts/port_chains', { port_chain: { name: 'FW6', classifiers: [classifier.classifier.id], ports: { [port.fwIn.id]: [port.fwOut.id] } } })) as {
      port_chain: { id: string };
    };
    created.push(['ts/port_chains', chain.port_chain.id]);
    await waitFor('the IPv6 chain to be programmed', async () => {
      const flows = await ovs.installedFlows(INTEGRATION_BRIDGE);
      return flows.some((flow) => /priority=300/.test(flow) && flow.includes(`in_port=${ext.ofport}`) && /ipv6|tcp6/.test(flow)) ? true : undefined;
    });

    const fwSide = await capture(fw.namespace, fw.ingress.interfaceName, 'ip6 and tcp');
    let v6: Awaited<ReturnType<typeof throughFw>>;
    try {
      v6 = await throughFw(V6.vm, 80, 20);
    } catch (error) {
      await fwSide.stop().catch(() => undefined);
      throw error;
    }
    const captured = await fwSide.stop();
    process.stdout.write(`IPv6 chain, 20 flows to [${V6.vm}]:80: FW redirected ${v6.forward} forward, ${v6.reverse} reverse; FW in0 captured ${captured.length} IPv6 TCP frames\n`);
    expect(v6.failed).toBe(0);
    expect(v6.forward).toBeGreaterThanOrEqual(20 * 3);
    expect(v6.reverse).toBe(0);
    // Only the client's IPv6 TCP to port 80 entered FW, addressed (by the steering) to its ingress port.
    expect(captured.filter((packet) => packet.ethertype === 'IPv6').length).toBe(v6.forward);
    expect(captured.filter((packet) => packet.dstMac !== port.fwIn.mac || !packet.text.includes(`${V6.ext}.`) || !packet.text.includes(`> ${V6.vm}.80:`)).map((packet) => packet.text)).toEqual([]);
    // The VM saw the client's own IPv6 address.
    expect((await servers[0]!.connections()).filter((seen) => seen.remoteAddress === V6.ext).length).toBeGreaterThanOrEqual(20);

    expect(await throughFw(vm.ip, 80, 10)).toEqual({ failed: 0, forward: 0, reverse: 0 });
    expect(await throughFw(V6.vm, 22, 10)).toEqual({ failed: 0, forward: 0, reverse: 0 });
  }, 30000);

  it('steers with a networking-sfc classifier of ethertype IPv6, and not IPv4', async () => {
    for (const [resource, id] of created.splice(0).reverse()) await sfc.call('DELETE', `/v2.0/${resource}/${id}`);
    await waitFor('the chain flows to go', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow)) ? undefined : true));
    const post = async (resource: string, body: object): Promise<string> => {
      const id = (Object.values((await sfc.call('POST', `/v2.0/sfc/${resource}`, body)) as Record<string, { id: string }>)[0] as { id: string }).id;
      created.push([`sfc/${resource}`, id]);
      return id;
    };
    const classifier = await post('flow_classifiers', {
      flow_classifier: { name: 'web6', ethertype: 'IPv6', protocol: 'tcp', destination_port_range_min: 80, destination_port_range_max: 80, logical_source_port: port.ext.id },
    });
    const pair = await post('port_pairs', { port_pair: { name: 'fw', ingress: port.fwIn.id, egress: port.fwOut.id } });
    const group = await post('port_pair_groups', { port_pair_group: { name: 'fws', port_pairs: [pair] } });
    await post('port_chains', { port_chain: { name: 'web6', port_pair_groups: [group], flow_classifiers: [classifier] } });
    await waitFor('the IPv6 chain to be programmed', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow) && flow.includes(`in_port=${ext.ofport}`)) ? true : undefined));

    const v6 = await throughFw(V6.vm, 80, 10);
    expect(v6.failed).toBe(0);
    expect(v6.forward).toBeGreaterThanOrEqual(10 * 3);
    expect(v6.reverse).toBe(0);
    expect(await throughFw(vm.ip, 80, 10)).toEqual({ failed: 0, forward: 0, reverse: 0 });
  }, 30000);
});
