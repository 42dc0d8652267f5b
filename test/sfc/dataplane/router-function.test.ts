import { ChainLab, type LabEndpoint, type RouterFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { capture, ping, tcpFlows, tcpServer, type CapturedPacket, type TcpServer } from '../../support/traffic.js';

/**
 * An L3 service function in a Traffic Steering chain EXT -> FW(router) -> VM on a real Open vSwitch the
 * product programs. The router only accepts frames addressed to its own MACs: the pipeline rewrites eth_dst
 * to the function's ingress port's MAC when it steers a packet into it, and, after the last hop, resolves the
 * destination IP to its owner's MAC. The router forwards along its host routes (static neighbours, no ARP),
 * decrementing the TTL: the VM sees chained packets with TTL 63 and from the router's egress MAC, the rest
 * with TTL 64 from EXT. The chain is not symmetric: replies go straight from the VM to EXT.
 */
describe('Traffic Steering chain through a router-like function on Open vSwitch', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  const port = {} as Record<'ext' | 'vm' | 'fwIn' | 'fwOut', NeutronPort>;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fw: RouterFunction;
  const servers: TcpServer[] = [];
  let chainId: string | undefined;

  beforeAll(async () => {
    ovs = await OvsInstance.start('rtr');
    sfc = await SfcProduct.start(ovs);
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    const hosts = { ext: 1, vm: 2, fwIn: 11, fwOut: 12 } as const;
    for (const [name, host] of Object.entries(hosts) as Array<[keyof typeof hosts, number]>) port[name] = await sfc.port(name, `198.18.61.${host}`, name.replace(/(In|Out)$/, ''));
    ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    fw = await lab.routerFunction('fw', {
      ingress: { mac: port.fwIn.mac, ip: `${port.fwIn.ip}/24`, ifaceId: port.fwIn.id },
      egress: { mac: port.fwOut.mac, ip: `${port.fwOut.ip}/24`, ifaceId: port.fwOut.id },
      routes: [
        { destination: port.vm.ip, via: 'egress' },
        { destination: port.ext.ip, via: 'ingress' },
      ],
      neighbours: [
        { ip: port.vm.ip, mac: port.vm.mac, via: 'egress' },
        { ip: port.ext.ip, mac: port.ext.mac, via: 'ingress' },
      ],
    });
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    for (const serverPort of [80, 22]) servers.push(await tcpServer(vm.namespace, vm.ip, serverPort));
  }, 60000);

  afterAll(async () => {
    if (chainId) await sfc?.call('DELETE', `/v2.0/ts/port_chains/${chainId}`).catch(() => undefined);
    for (const server of servers) await server.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  /** TCP flows from EXT to the VM on `serverPort`, captured on the VM's eth0 (client packets only). */
  async function capturedFlows(serverPort: number, count: number): Promise<{ failed: number; packets: CapturedPacket[]; router: { forward: number; reverse: number } }> {
    const before = await fw.counters();
    const vmSide = await capture(vm.namespace, vm.interfaceName, `tcp and dst host ${vm.ip} and dst port ${serverPort}`);
    let failed: number;
    try {
      failed = (await tcpFlows(ext.namespace, { to: vm.ip, port: serverPort, count })).failed;
    } catch (error) {
      await vmSide.stop().catch(() => undefined);
      throw error;
    }
    const packets = await vmSide.stop();
    const after = await fw.counters();
    return {
      failed,
      packets,
      router: { forward: after.forward.sent - before.forward.sent, reverse: after.reverse.sent - before.reverse.sent },
    };
  }

  it('steers TCP 80 through the router: the VM gets it with TTL 63 from the router egress MAC; the router forwards every client packet', async () => {
    await waitFor('delivery before the chain', async () => ((await ping(ext.namespace, vm.ip, 1)) === 1 ? true : undefined), 10000);
    const classifier = (await sfc.call('POST', '/v2.0/ts/classifiers', { classifier: { name: 'web', Protocol: 6, port_range: '80:80', dst_ip: `${vm.ip}/32` } })) as { classifier: { id: string } };
    const created = (await sfc.call('POST', '/v2.0/ts/port_chains', { port_chain: { name: 'FW', classifiers: [classifier.classifier.id], ports: { [port.fwIn.id]: [port.fwOut.id] } } })) as {
      port_chain: { id: string };
    };
    chainId = created.port_chain.id;
    await waitFor('the chain to be programmed', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow) && flow.includes(`in_port=${ext.ofport}`)) ? true : undefined));

    const http = await capturedFlows(80, 20);
    process.stdout.write(`router function, 20 flows to port 80: router forwarded ${http.router.forward} (reverse ${http.router.reverse}), VM saw ${http.packets.length} client packets, TTLs ${[...new Set(http.packets.map((packet) => packet.ttl))].join(',')}\n`);
    expect(http.failed).toBe(0);
    expect(http.packets.length).toBeGreaterThanOrEqual(20 * 3);
    // Every client packet the VM got was routed by the function: decremented TTL, the router's MAC as source.
    expect(http.packets.filter((packet) => packet.ttl !== 63 || packet.srcMac !== port.fwOut.mac || packet.dstMac !== port.vm.mac).map((packet) => packet.text)).toEqual([]);
    expect(http.router.forward).toBe(http.packets.length);
    // Not symmetric: the replies went straight back, never through the router.
    expect(http.router.reverse).toBe(0);
    // The VM saw the client's own address: the router does not NAT.
    expect((await servers[0]!.connections()).filter((seen) => seen.remoteAddress === ext.ip).length).toBeGreaterThanOrEqual(20);
  }, 30000);

  it('sends other traffic straight to the VM: TTL 64 from EXT, the router untouched', async () => {
    const other = await capturedFlows(22, 10);
    expect(other.failed).toBe(0);
    expect(other.packets.length).toBeGreaterThanOrEqual(10 * 3);
    expect(other.packets.filter((packet) => packet.ttl !== 64 || packet.srcMac !== port.ext.mac).map((packet) => packet.text)).toEqual([]);
    expect(other.router).toEqual({ forward: 0, reverse: 0 });
    expect(await ping(ext.namespace, vm.ip, 3)).toBe(3);
  }, 30000);

  it('stops routing through the function when the chain is deleted', async () => {
    await sfc.call('DELETE', `/v2.0/ts/port_chains/${chainId}`);
    chainId = undefined;
    await waitFor('the chain flows to go', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow)) ? undefined : true));
    const after = await capturedFlows(80, 5);
    expect(after.failed).toBe(0);
    expect(after.packets.every((packet) => packet.ttl === 64)).toBe(true);
    expect(after.router.forward).toBe(0);
  }, 30000);
});
