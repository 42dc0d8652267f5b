import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { capture, tcpFlows, tcpServer, type Capture, type CapturedPacket, type TcpServer } from '../../support/traffic.js';

/**
 * A symmetric networking-sfc chain (`chain_parameters: {symmetric: true}`) on a real Open vSwitch the
 * product programs: EXT -> FW -> LB -> VM with L2-transparent functions. Requests cross FW then LB; the
 * replies, classified at the VM's port with the classifier reversed, cross LB then FW, entering each
 * function by its egress port (`out0`) and leaving by its ingress port (`in0`): the functions' `tc`
 * counters tell the directions apart (`redirected.forward` counts frames that entered `in0`,
 * `redirected.reverse` those that entered `out0`).
 *
 * Then the LB hop gets two instances (one port pair group, a SELECT group forward and its reverse twin
 * with the same buckets in the same order): each flow's requests and replies must cross the same
 * instance, which rests on Open vSwitch's default select hashing the symmetric 5-tuple.
 */
const FLOWS = 100;

type Created = Record<string, { id: string }>;

interface HopView {
  hop: number;
  packets_in: number;
  packets_out: number;
  reverse_packets_in: number;
  reverse_packets_out: number;
}
interface FlowView {
  role: string;
  direction: 'forward' | 'reverse';
  to_hop: number | null;
  from_hop: number | null;
  packets: number;
}
interface DataplaneView {
  dataplane: { chain_id: number; switches: Array<{ hops: HopView[]; flows: FlowView[]; groups: Array<{ type: string; buckets: Array<{ actions: string }> }>; notices: string[] }> };
}

describe('symmetric networking-sfc chain EXT -> FW -> LB -> VM on Open vSwitch', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  const port = {} as Record<'ext' | 'vm' | 'fwIn' | 'fwOut' | 'lb1In' | 'lb1Out' | 'lb2In' | 'lb2Out', NeutronPort>;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fw: TransparentFunction;
  let lb1: TransparentFunction;
  let lb2: TransparentFunction;
  let web: TcpServer;
  let classifierId: string | undefined;
  /** What the current chain is made of, deleted in reverse order. */
  let chain: { chain: string; groups: string[]; pairs: string[] } | undefined;

  beforeAll(async () => {
    ovs = await OvsInstance.start('sym');
    sfc = await SfcProduct.start(ovs);
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    const hosts = { ext: 1, vm: 2, fwIn: 11, fwOut: 12, lb1In: 21, lb1Out: 22, lb2In: 31, lb2Out: 32 } as const;
    for (const [name, host] of Object.entries(hosts) as Array<[keyof typeof hosts, number]>) port[name] = await sfc.port(name, `198.18.60.${host}`, name.replace(/(In|Out)$/, ''));
    ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    const transparent = (name: string, ingress: NeutronPort, egress: NeutronPort) =>
      lab.transparentFunction(name, { ingress: { mac: ingress.mac, ifaceId: ingress.id }, egress: { mac: egress.mac, ifaceId: egress.id } });
    fw = await transparent('fw', port.fwIn, port.fwOut);
    lb1 = await transparent('lb1', port.lb1In, port.lb1Out);
    lb2 = await transparent('lb2', port.lb2In, port.lb2Out);
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    web = await tcpServer(vm.namespace, vm.ip, 80);
    const classifier = (await sfc.call('POST', '/v2.0/sfc/flow_classifiers', {
      flow_classifier: {
        name: 'http',
        ethertype: 'IPv4',
        protocol: 'tcp',
        destination_port_range_min: 80,
        destination_port_range_max: 80,
        logical_source_port: port.ext.id,
        logical_destination_port: port.vm.id,
      },
    })) as Created;
    classifierId = classifier.flow_classifier!.id;
  }, 60000);

  afterAll(async () => {
    await removeChain().catch(() => undefined);
    if (classifierId) await sfc?.call('DELETE', `/v2.0/sfc/flow_classifiers/${classifierId}`).catch(() => undefined);
    await web?.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  const post = async (resource: string, body: object): Promise<string> => (Object.values((await sfc.call('POST', `/v2.0/sfc/${resource}`, body)) as Created)[0] as { id: string }).id;

  /** A symmetric chain of FW then one group of the given LB instances. */
  async function createChain(lbs: Array<{ name: string; ingress: NeutronPort; egress: NeutronPort }>): Promise<string> {
    const pairs = [await post('port_pairs', { port_pair: { name: 'fw', ingress: port.fwIn.id, egress: port.fwOut.id } })];
    for (const one of lbs) pairs.push(await post('port_pairs', { port_pair: { name: one.name, ingress: one.ingress.id, egress: one.egress.id } }));
    const groups = [await post('port_pair_groups', { port_pair_group: { name: 'fws', port_pairs: [pairs[0]] } }), await post('port_pair_groups', { port_pair_group: { name: 'lbs', port_pairs: pairs.slice(1) } })];
    const id = await post('port_chains', { port_chain: { name: 'web', port_pair_groups: groups, flow_classifiers: [classifierId], chain_parameters: { symmetric: true } } });
    chain = { chain: id, groups, pairs };
    await waitFor('both directions to be classified', async () => {
      const flows = await ovs.installedFlows(INTEGRATION_BRIDGE);
      const classified = (ofport: number) => flows.some((flow) => /priority=300/.test(flow) && flow.includes(`in_port=${ofport}`));
      return classified(ext.ofport) && classified(vm.ofport) ? true : undefined;
    });
    return id;
  }

  async function removeChain(): Promise<void> {
    if (!chain) return;
    const { chain: chainId, groups, pairs } = chain;
    chain = undefined;
    await sfc.call('DELETE', `/v2.0/sfc/port_chains/${chainId}`);
    for (const group of groups) await sfc.call('DELETE', `/v2.0/sfc/port_pair_groups/${group}`);
    for (const pair of pairs) await sfc.call('DELETE', `/v2.0/sfc/port_pairs/${pair}`);
    await waitFor('the chain flows to go', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow)) ? undefined : true));
  }

  const dataplane = async (chainId: string) => ((await sfc.call('GET', `/v2.0/sfc/port_chains/${chainId}/dataplane`)) as DataplaneView).dataplane.switches[0]!;

  it('sends requests through FW then LB and replies back through LB then FW; the dataplane view counts both directions', async () => {
    const chainId = await createChain([{ name: 'lb1', ingress: port.lb1In, egress: port.lb1Out }]);
    const before = { fw: (await fw.counters()).redirected, lb: (await lb1.counters()).redirected };
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 20 });
    expect(flows.failed).toBe(0);
    const after = { fw: (await fw.counters()).redirected, lb: (await lb1.counters()).redirected };
    const crossed = {
      fw: { forward: after.fw.forward - before.fw.forward, reverse: after.fw.reverse - before.fw.reverse },
      lb: { forward: after.lb.forward - before.lb.forward, reverse: after.lb.reverse - before.lb.reverse },
    };
    process.stdout.write(`symmetric chain, 20 flows: FW ${JSON.stringify(crossed.fw)}, LB ${JSON.stringify(crossed.lb)}\n`);
    // Every packet of 20 connections crossed both functions: the clients' (SYN, ACK, data, FIN...) by
    // in0 -> out0, the server's (SYN-ACK, data, FIN...) by out0 -> in0.
    expect(crossed.fw.forward).toBeGreaterThanOrEqual(20 * 3);
    expect(crossed.fw.reverse).toBeGreaterThanOrEqual(20 * 3);
    expect(crossed.lb).toEqual(crossed.fw);
    // The VM saw the clients' own addresses: the functions are transparent.
    expect((await web.connections()).filter((seen) => seen.remoteAddress === ext.ip).length).toBeGreaterThanOrEqual(20);

    // The switch publishes its datapath counters about once a second: wait for them to settle.
    const expected: HopView[] = [
      { hop: 1, packets_in: crossed.fw.forward, packets_out: crossed.fw.forward, reverse_packets_in: crossed.fw.reverse, reverse_packets_out: crossed.fw.reverse },
      { hop: 2, packets_in: crossed.lb.forward, packets_out: crossed.lb.forward, reverse_packets_in: crossed.lb.reverse, reverse_packets_out: crossed.lb.reverse },
    ];
    const view = await waitFor('the chain counters to settle', async () => {
      const current = await dataplane(chainId);
      return JSON.stringify(current.hops) === JSON.stringify(expected) ? current : undefined;
    }, 5000).catch(() => dataplane(chainId));
    expect(view.hops).toEqual(expected);
    // The order, from the flows that counted the replies: classified at the VM into LB (hop 2), from LB on
    // to FW (hop 1), from FW on to the client.
    const reverse = view.flows.filter((flow) => flow.direction === 'reverse');
    const packets = (role: string, from: number | null, to: number | null) =>
      reverse.filter((flow) => flow.role === role && flow.from_hop === from && flow.to_hop === to).reduce((sum, flow) => sum + flow.packets, 0);
    expect({ classified: packets('classify', null, 2), lbToFw: packets('steer', 2, 1), fwOut: packets('steer', 1, null) }).toEqual({
      classified: crossed.lb.reverse,
      lbToFw: crossed.fw.reverse,
      fwOut: crossed.fw.reverse,
    });
  }, 30000);

  it('keeps each flow on one LB instance in both directions: replies cross the instance the requests crossed', async () => {
    await removeChain();
    await createChain([
      { name: 'lb1', ingress: port.lb1In, egress: port.lb1Out },
      { name: 'lb2', ingress: port.lb2In, egress: port.lb2Out },
    ]);
    const groups = await ovs.installedGroups(INTEGRATION_BRIDGE);
    const outputs = (ofports: number[]) => groups.find((line) => /type=select/.test(line) && ofports.every((ofport) => line.includes(`output:${ofport}`)));
    const forwardGroup = outputs([lb1.ingress.ofport, lb2.ingress.ofport]);
    const reverseGroup = outputs([lb1.egress.ofport, lb2.egress.ofport]);
    expect(forwardGroup).toBeDefined();
    expect(reverseGroup).toBeDefined();
    // Same buckets in the same order: LB1 first, then LB2, in both twins.
    const order = (line: string) => [...line.matchAll(/output:(\d+)/g)].map((match) => Number(match[1]));
    expect(order(forwardGroup!)).toEqual([lb1.ingress.ofport, lb2.ingress.ofport]);
    expect(order(reverseGroup!)).toEqual([lb1.egress.ofport, lb2.egress.ofport]);

    // A capture on in0 sees both directions of a transparent function: requests arriving, replies leaving.
    const instances = [lb1, lb2];
    const captures: Capture[] = [];
    let report: Awaited<ReturnType<typeof tcpFlows>>;
    const before = await Promise.all(instances.map(async (fn) => (await fn.counters()).redirected));
    try {
      for (const fn of instances) captures.push(await capture(fn.namespace, fn.ingress.interfaceName, `tcp and host ${vm.ip} and port 80`));
      report = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: FLOWS, concurrency: 20 });
      // The last packets of a connection (the closing ACKs) may still be on their way when the client is
      // done: the captures stop once the functions' counters have not moved for 300 ms.
      let last = '';
      await waitFor('the last packets to cross the instances', async () => {
        const now = JSON.stringify(await Promise.all(instances.map(async (fn) => (await fn.counters()).redirected)));
        const settled = now === last;
        last = now;
        return settled ? true : undefined;
      }, 5000, 300);
    } catch (error) {
      for (const one of captures) await one.stop().catch(() => undefined);
      throw error;
    }
    const seen: CapturedPacket[][] = [];
    for (const one of captures) seen.push(await one.stop());
    const after = await Promise.all(instances.map(async (fn) => (await fn.counters()).redirected));
    // How the switch selected: with no selection method given, Open vSwitch (2.10+) uses dp_hash with the
    // symmetric L4 hash (basis 0) when the weights fit its 64-entry table; the datapath flows show it.
    const hashes = [...new Set([...(await ovs.appctl('dpctl/dump-flows')).matchAll(/\bhash\((?:sym_)?l4\(\d+\)\)/g)].map((match) => match[0]))];
    process.stdout.write(`datapath hash actions of the select groups: ${hashes.join(' ')}\n`);
    expect(hashes).toEqual(['hash(sym_l4(0))']);
    expect(report.failed).toBe(0);

    const sourcePorts = report.flows.map((flow) => flow.sourcePort);
    expect(new Set(sourcePorts).size).toBe(FLOWS);
    const requests = seen.map((packets) => new Set(packets.filter((packet) => packet.dstPort === 80 && packet.dstIp === vm.ip).map((packet) => packet.srcPort)));
    const replies = seen.map((packets) => new Set(packets.filter((packet) => packet.srcPort === 80 && packet.srcIp === vm.ip).map((packet) => packet.dstPort)));
    const on = (sets: Array<Set<number | undefined>>, sourcePort: number) => sets.flatMap((set, index) => (set.has(sourcePort) ? [index] : []));
    const tally = { sameInstance: 0, splitRequests: 0, splitReplies: 0, crossed: 0, missing: 0 };
    const crossedFlows: Array<{ sourcePort: number; requests: number[]; replies: number[] }> = [];
    for (const sourcePort of sourcePorts) {
      const requestsOn = on(requests, sourcePort);
      const repliesOn = on(replies, sourcePort);
      if (requestsOn.length === 0 || repliesOn.length === 0) tally.missing += 1;
      else if (requestsOn.length > 1) tally.splitRequests += 1;
      else if (repliesOn.length > 1) tally.splitReplies += 1;
      else if (requestsOn[0] !== repliesOn[0]) {
        tally.crossed += 1;
        crossedFlows.push({ sourcePort, requests: requestsOn, replies: repliesOn });
      } else tally.sameInstance += 1;
    }
    const perInstance = requests.map((set) => set.size);
    process.stdout.write(
      `symmetric load balancing, ${FLOWS} flows: requests per instance ${perInstance.join('/')}, replies per instance ${replies.map((set) => set.size).join('/')}; ${JSON.stringify(tally)}` +
        `${crossedFlows.length > 0 ? `; replies on another instance than requests, e.g. ${JSON.stringify(crossedFlows.slice(0, 5))}` : ''}\n`,
    );
    // Both instances took flows, and the tc counters agree with the captures' directions.
    for (const count of perInstance) expect(count).toBeGreaterThan(0);
    instances.forEach((_fn, index) => {
      const forward = after[index]!.forward - before[index]!.forward;
      const reverse = after[index]!.reverse - before[index]!.reverse;
      expect(forward).toBe(seen[index]!.filter((packet) => packet.dstPort === 80).length);
      expect(reverse).toBe(seen[index]!.filter((packet) => packet.srcPort === 80).length);
    });
    expect(tally).toEqual({ sameInstance: FLOWS, splitRequests: 0, splitReplies: 0, crossed: 0, missing: 0 });
  }, 40000);

  it('leaves no flow or group behind when the chain is deleted', async () => {
    await removeChain();
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).toEqual([]);
  });
});
