import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { ping, udpSink, udpStream, type UdpSink } from '../../support/traffic.js';

/**
 * Changes to one chain never disturb another: chain A (Traffic Steering, EXT -> FW-A -> VM for UDP to 5001)
 * carries a continuous stream while chain B (networking-sfc, its own FW-B, UDP to 5002 then 5003) is
 * created, updated (renamed, its flow classifier swapped) and deleted 100 times through the API. Every
 * change is a bundle that also rewrites shared flows (the broadcast flow loses and regains FW-B's ports),
 * so any non-atomic step would show up as a lost datagram of chain A.
 */
const ITERATIONS = 100;
const RATE = 500;

type Role = 'ext' | 'vm' | 'fwaIn' | 'fwaOut' | 'fwbIn' | 'fwbOut';

interface ChainB {
  classifiers: [string, string];
  pair: string;
  group: string;
  chain: string;
}

describe('hitless updates: chain B created, updated and deleted 100 times under chain A traffic', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  const port = {} as Record<Role, NeutronPort>;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fwA: TransparentFunction;
  let fwB: TransparentFunction;
  let sink: UdpSink;
  let baseline: string[];

  const dump = async (): Promise<string[]> => [...(await ovs.installedFlows(INTEGRATION_BRIDGE)).sort(), ...(await ovs.installedGroups(INTEGRATION_BRIDGE)).sort()];
  const id = (answer: unknown, member: string): string => (answer as Record<string, { id: string }>)[member]!.id;

  /** A port with a device id: networking-sfc port pairs need their ports to belong to a device. */
  const devicePort = async (name: string, ip: string, deviceId: string): Promise<NeutronPort> => {
    const created = (await sfc.call('POST', '/v2.0/ports', { port: { network_id: sfc.networkId, name, device_id: deviceId, fixed_ips: [{ ip_address: ip }] } })) as { port: { id: string; mac_address: string } };
    return { id: created.port.id, mac: created.port.mac_address, ip };
  };

  const createChainB = async (iteration: number): Promise<ChainB> => {
    const classifier = (dport: number) => ({ flow_classifier: { name: `b-${iteration}-${dport}`, protocol: 'udp', destination_port_range_min: dport, destination_port_range_max: dport, destination_ip_prefix: `${vm.ip}/32` } });
    const classifiers: [string, string] = [id(await sfc.call('POST', '/v2.0/sfc/flow_classifiers', classifier(5002)), 'flow_classifier'), id(await sfc.call('POST', '/v2.0/sfc/flow_classifiers', classifier(5003)), 'flow_classifier')];
    const pair = id(await sfc.call('POST', '/v2.0/sfc/port_pairs', { port_pair: { name: `fw-b-${iteration}`, ingress: port.fwbIn.id, egress: port.fwbOut.id } }), 'port_pair');
    const group = id(await sfc.call('POST', '/v2.0/sfc/port_pair_groups', { port_pair_group: { name: `fw-b-${iteration}`, port_pairs: [pair] } }), 'port_pair_group');
    const chain = id(await sfc.call('POST', '/v2.0/sfc/port_chains', { port_chain: { name: `B-${iteration}`, port_pair_groups: [group], flow_classifiers: [classifiers[0]] } }), 'port_chain');
    return { classifiers, pair, group, chain };
  };

  /** Renames chain B and moves it from its 5002 classifier to its 5003 one. */
  const updateChainB = async (b: ChainB, iteration: number): Promise<void> => {
    await sfc.call('PUT', `/v2.0/sfc/port_chains/${b.chain}`, { port_chain: { name: `B-${iteration}-renamed`, flow_classifiers: [b.classifiers[1]] } });
  };

  const deleteChainB = async (b: ChainB): Promise<void> => {
    await sfc.call('DELETE', `/v2.0/sfc/port_chains/${b.chain}`);
    await sfc.call('DELETE', `/v2.0/sfc/port_pair_groups/${b.group}`);
    await sfc.call('DELETE', `/v2.0/sfc/port_pairs/${b.pair}`);
    for (const classifier of b.classifiers) await sfc.call('DELETE', `/v2.0/sfc/flow_classifiers/${classifier}`);
  };

  const classifyPorts = async (): Promise<string[]> =>
    (await ovs.installedFlows(INTEGRATION_BRIDGE)).filter((flow) => /priority=300,udp/.test(flow)).map((flow) => /tp_dst=(\d+)/.exec(flow)?.[1] ?? '?');

  beforeAll(async () => {
    ovs = await OvsInstance.start('hitless');
    sfc = await SfcProduct.start(ovs);
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    const addresses: Record<Role, string> = { ext: '198.18.50.1', vm: '198.18.50.2', fwaIn: '198.18.50.11', fwaOut: '198.18.50.12', fwbIn: '198.18.50.21', fwbOut: '198.18.50.22' };
    for (const name of ['ext', 'vm', 'fwaIn', 'fwaOut'] as const) port[name] = await sfc.port(name, addresses[name]);
    for (const name of ['fwbIn', 'fwbOut'] as const) port[name] = await devicePort(name, addresses[name], 'fw-b');
    ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    fwA = await lab.transparentFunction('fwa', { ingress: { mac: port.fwaIn.mac, ifaceId: port.fwaIn.id }, egress: { mac: port.fwaOut.mac, ifaceId: port.fwaOut.id } });
    fwB = await lab.transparentFunction('fwb', { ingress: { mac: port.fwbIn.mac, ifaceId: port.fwbIn.id }, egress: { mac: port.fwbOut.mac, ifaceId: port.fwbOut.id } });
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    sink = await udpSink(vm.namespace, vm.ip, 5001);

    const classifier = (await sfc.call('POST', '/v2.0/ts/classifiers', { classifier: { name: 'A', Protocol: 17, port_range: '5001', dst_ip: `${vm.ip}/32` } })) as { classifier: { id: string } };
    await sfc.call('POST', '/v2.0/ts/port_chains', { port_chain: { name: 'A', classifiers: [classifier.classifier.id], ports: { [port.fwaIn.id]: [port.fwaOut.id] } } });
    await waitFor('chain A to be programmed', async () => ((await classifyPorts()).includes('5001') ? true : undefined));
    await waitFor('a stable dump', async () => {
      const first = await dump();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return JSON.stringify(first) === JSON.stringify(await dump()) ? true : undefined;
    }, 10000);
    baseline = await dump();
    expect(await ping(ext.namespace, vm.ip, 2)).toBe(2);
  }, 60000);

  afterAll(async () => {
    await sink?.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  it('chain B steers its classifier through FW-B, follows its classifier update, and leaves nothing when deleted', async () => {
    const sendTo = async (dport: number): Promise<number> => {
      const before = (await fwB.counters()).redirected.forward;
      const sent = await udpStream(ext.namespace, { to: vm.ip, port: dport, rate: 200, durationMs: 100 });
      expect(sent.errors).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return (await fwB.counters()).redirected.forward - before;
    };
    const b = await createChainB(-1);
    await waitFor('chain B on 5002', async () => ((await classifyPorts()).includes('5002') ? true : undefined));
    expect(await sendTo(5002)).toBe(20);
    await updateChainB(b, -1);
    await waitFor('chain B moved to 5003', async () => {
      const ports = await classifyPorts();
      return ports.includes('5003') && !ports.includes('5002') ? true : undefined;
    });
    expect(await sendTo(5003)).toBe(20);
    expect(await sendTo(5002)).toBe(0);
    const renamed = (await sfc.call('GET', `/v2.0/sfc/port_chains/${b.chain}`)) as { port_chain: { name: string } };
    expect(renamed.port_chain.name).toBe('B--1-renamed');
    await deleteChainB(b);
    await waitFor('the switch back at chain A alone', async () => (JSON.stringify(await dump()) === JSON.stringify(baseline) ? true : undefined)).catch(async () => expect(await dump()).toEqual(baseline));
  }, 30000);

  it(`chain A loses no datagram while chain B is created, updated and deleted ${ITERATIONS} times`, async () => {
    const beforeA = await fwA.counters();
    const beforeB = await fwB.counters();
    const receivedBefore = (await sink.report()).received;
    // Long enough to cover the whole loop with a margin (100 iterations measured at a few seconds).
    const durationMs = 20000;
    const streamStarted = Date.now();
    const stream = udpStream(ext.namespace, { to: vm.ip, port: 5001, rate: RATE, durationMs });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const loopStarted = Date.now();
    const perIteration: number[] = [];
    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      const started = Date.now();
      const b = await createChainB(iteration);
      await updateChainB(b, iteration);
      await deleteChainB(b);
      perIteration.push(Date.now() - started);
    }
    const loopMs = Date.now() - loopStarted;
    const loopEndedInStream = Date.now() - streamStarted;
    const sorted = [...perIteration].sort((a, b) => a - b);
    console.log(
      `${ITERATIONS} create/update/delete iterations of chain B (10 API calls each) took ${loopMs} ms: ` +
        `${(loopMs / ITERATIONS).toFixed(1)} ms per iteration (median ${sorted[Math.floor(ITERATIONS / 2)]} ms, max ${sorted[ITERATIONS - 1]} ms); loop ended ${loopEndedInStream} ms into a ${durationMs} ms stream`,
    );

    const sent = await stream;
    expect(loopEndedInStream).toBeLessThan(durationMs);
    expect(sent.errors).toBe(0);
    expect(sent.sent).toBe((RATE * durationMs) / 1000);
    const report = await waitFor('the stream to arrive', async () => {
      const current = await sink.report(sent.sent);
      return current.missing.length === 0 ? current : undefined;
    }, 2000).catch(() => sink.report(sent.sent));
    console.log(`chain A stream: ${sent.sent} sent in ${sent.elapsedMs} ms, ${report.received - receivedBefore} received, ${report.missing.length} missing, ${report.duplicates} duplicates`);
    expect({ missing: report.missing.length, first: report.missing.slice(0, 10) }).toEqual({ missing: 0, first: [] });
    expect(report.received - receivedBefore).toBe(sent.sent);
    expect((await fwA.counters()).redirected.forward - beforeA.redirected.forward).toBe(sent.sent);
    expect((await fwB.counters()).redirected.forward - beforeB.redirected.forward).toBe(0);

    await waitFor('the switch back at chain A alone', async () => (JSON.stringify(await dump()) === JSON.stringify(baseline) ? true : undefined)).catch(async () => expect(await dump()).toEqual(baseline));
    for (const plural of ['port_chains', 'port_pair_groups', 'port_pairs', 'flow_classifiers']) {
      expect(((await sfc.call('GET', `/v2.0/sfc/${plural}`)) as Record<string, unknown[]>)[plural]).toEqual([]);
    }
  }, 90000);
});
