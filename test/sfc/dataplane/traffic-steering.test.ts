import type { LabEndpoint, TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import type { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, type SfcProduct } from '../../support/sfc-product.js';
import { ping, tcpFlows, type TcpServer } from '../../support/traffic.js';
import { startWebChainLab, type WebChainLab } from './web-chain.js';

/**
 * The seed's example, EXT -> FW -> LB -> VM, through the Traffic Steering API on a real Open vSwitch that
 * the product sets up and programs itself: namespaces are the endpoints and the (L2-transparent) service
 * functions; packets prove the path.
 */
interface HopView {
  hop: number;
  packets_in: number;
  packets_out: number;
}
interface DataplaneView {
  dataplane: { chain_id: number; switches: Array<{ hops: HopView[]; flows: Array<{ role: string; packets: number }>; notices: string[] }> };
}

describe('Traffic Steering chain EXT -> FW -> LB -> VM on Open vSwitch', () => {
  let chain: WebChainLab;
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let port: WebChainLab['port'];
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fw: TransparentFunction;
  let lb: TransparentFunction;
  let web: TcpServer;
  let chainId: string;

  beforeAll(async () => {
    chain = await startWebChainLab('ts', '198.18.30', [80, 22]);
    ({ ovs, sfc, port, ext, vm, fw, lb } = chain);
    web = chain.servers[0] as TcpServer;
  }, 60000);

  afterAll(async () => {
    await chain?.close();
  });

  const dataplane = async (): Promise<DataplaneView['dataplane']> => ((await sfc.call('GET', `/v2.0/ts/port_chains/${chainId}/dataplane`)) as DataplaneView).dataplane;

  it('delivers by known MACs before any chain exists: ping and TCP go straight to the VM', async () => {
    await waitFor('delivery flows for every bound port', async () => {
      const flows = (await ovs.installedFlows(INTEGRATION_BRIDGE)).join('\n');
      return Object.values(port).every((one) => flows.includes(`dl_dst=${one.mac}`)) ? true : undefined;
    });
    expect(await ping(ext.namespace, vm.ip, 3)).toBe(3);
    // Broadcasts (ARP) reach every port of the network while no chain makes the functions' ports SF ports;
    // port security keeps what a function forwards from coming back in. TCP, once resolved, never crosses them.
    const before = { fw: await fw.counters(), lb: await lb.counters() };
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 5 });
    expect(flows.failed).toBe(0);
    expect((await fw.counters()).redirected).toEqual(before.fw.redirected);
    expect((await lb.counters()).redirected).toEqual(before.lb.redirected);
  });

  it('steers HTTP from EXT through FW then LB to the VM once the chain is created; the per-hop counters agree with the functions', async () => {
    const classifier = (await sfc.call('POST', '/v2.0/ts/classifiers', { classifier: { name: 'VM4FW', Protocol: 6, port_range: '80:80', dst_ip: `${vm.ip}/32` } })) as { classifier: { id: string } };
    const created = (await sfc.call('POST', '/v2.0/ts/port_chains', {
      port_chain: { name: 'FW-LB', classifiers: [classifier.classifier.id], ports: { [port.fwIn.id]: [port.fwOut.id], [port.lbIn.id]: [port.lbOut.id] } },
    })) as { port_chain: { id: string } };
    chainId = created.port_chain.id;
    await waitFor('the chain to be programmed', async () => ((await dataplane()).switches[0]?.flows.some((flow) => flow.role === 'classify') ? true : undefined));

    const before = { fw: await fw.counters(), lb: await lb.counters() };
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 20 });
    expect(flows.failed).toBe(0);
    const after = { fw: await fw.counters(), lb: await lb.counters() };
    const throughFw = after.fw.redirected.forward - before.fw.redirected.forward;
    const throughLb = after.lb.redirected.forward - before.lb.redirected.forward;
    // Every client packet of 20 connections (SYN, ACK, data, FIN...) crossed both functions, in order.
    expect(throughFw).toBeGreaterThanOrEqual(20 * 3);
    expect(throughLb).toBe(throughFw);
    // Replies go straight back (the chain is not symmetric).
    expect(after.fw.redirected.reverse - before.fw.redirected.reverse).toBe(0);
    // The VM saw the clients' own addresses: the functions are transparent.
    expect((await web.connections()).filter((seen) => seen.remoteAddress === ext.ip).length).toBeGreaterThanOrEqual(20);

    // The switch publishes flow counters from its datapath cache periodically: wait for them to settle.
    const expected = [
      { hop: 1, packets_in: throughFw, packets_out: throughFw, reverse_packets_in: 0, reverse_packets_out: 0 },
      { hop: 2, packets_in: throughLb, packets_out: throughLb, reverse_packets_in: 0, reverse_packets_out: 0 },
    ];
    const hops = await waitFor('the chain counters to settle', async () => {
      const current = (await dataplane()).switches[0]?.hops ?? [];
      return JSON.stringify(current) === JSON.stringify(expected) ? current : undefined;
    }, 5000).catch(async () => (await dataplane()).switches[0]?.hops);
    expect(hops).toEqual(expected);
  });

  it('traces a packet: the hops it takes and the flows it hits, from the programmed flows', async () => {
    const trace = async (destinationPort: number) =>
      ((await sfc.call('POST', '/v2.0/sfc/traces', {
        trace: { ingress_port: port.ext.id, protocol: 'tcp', source_ip: ext.ip, destination_ip: vm.ip, source_port: 40000, destination_port: destinationPort },
      })) as { trace: { hops: Array<{ chain: string; hop: number; ingress_port: string; egress_port: string }>; delivered_to: string[]; segments: Array<{ flows: Array<{ role?: string }> }> } }).trace;
    const http = await trace(80);
    expect(http.hops).toEqual([
      { chain: chainId, chain_id: expect.any(Number), hop: 1, ingress_port: port.fwIn.id, egress_port: port.fwOut.id },
      { chain: chainId, chain_id: expect.any(Number), hop: 2, ingress_port: port.lbIn.id, egress_port: port.lbOut.id },
    ]);
    expect(http.delivered_to).toEqual([port.vm.id]);
    expect(http.segments[0]?.flows[0]).toMatchObject({ role: 'classify' });
    const other = await trace(22);
    expect(other.hops).toEqual([]);
    expect(other.delivered_to).toEqual([port.vm.id]);

    const refused = await sfc.product.request('/v2.0/sfc/traces', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ trace: { ingress_port: port.ext.id, protocol: 'icmp', source_ip: '198.18.30', destination_ip: vm.ip, destination_port: 80 } }),
    });
    expect(refused.status).toBe(400);
    const problem = (await refused.json()) as { violations: Array<{ pointer: string }> };
    expect(problem.violations.map((violation) => violation.pointer).sort()).toEqual(['/trace/destination_port', '/trace/source_ip']);
  });

  it('sends ICMP and other TCP ports straight to the VM, past the chain', async () => {
    const before = { fw: await fw.counters(), lb: await lb.counters() };
    expect(await ping(ext.namespace, vm.ip, 5)).toBe(5);
    const other = await tcpFlows(ext.namespace, { to: vm.ip, port: 22, count: 5 });
    expect(other.failed).toBe(0);
    const after = { fw: await fw.counters(), lb: await lb.counters() };
    expect(after.fw.redirected).toEqual(before.fw.redirected);
    expect(after.lb.redirected).toEqual(before.lb.redirected);
  });

  it('refuses to delete a port the chain uses, naming the chain', async () => {
    const refused = await sfc.product.request(`/v2.0/ports/${port.fwIn.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as { NeutronError: { type: string; message: string } };
    expect(body.NeutronError).toMatchObject({ type: 'PortInUse', message: `Port ${port.fwIn.id} is in use by Port Chain ${chainId}.` });
    expect(((await sfc.call('GET', `/v2.0/ports/${port.fwIn.id}`)) as { port: { id: string } }).port.id).toBe(port.fwIn.id);
  });

  it('stops steering when the chain is deleted, and leaves none of its flows behind', async () => {
    await sfc.call('DELETE', `/v2.0/ts/port_chains/${chainId}`);
    await waitFor('the chain flows to go', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow)) ? undefined : true));
    const before = await fw.counters();
    expect((await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 5 })).failed).toBe(0);
    expect((await fw.counters()).redirected).toEqual(before.redirected);
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).toEqual([]);
  });
});
