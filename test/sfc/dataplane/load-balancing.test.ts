import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { capture, tcpFlows, tcpServer, type Capture, type TcpFlowsReport, type TcpServer } from '../../support/traffic.js';

/**
 * A networking-sfc chain whose one hop has three instances, on a real Open vSwitch the product programs:
 * EXT -> LB{1,2,3} -> VM. The hop is a SELECT group, one bucket per port pair: each TCP flow (5-tuple) must
 * stick to one instance, and 300 flows must reach every instance. Captures on every instance's ingress
 * interface tell which instance saw which flow (by its client source port).
 *
 * networking-sfc (like this API) wants both ports of a port pair to belong to one device (`device_id`, set
 * by Nova on attach): the instances' ports get `device_id` = the instance's name with a port update, after
 * they are plugged and ACTIVE.
 */
const FLOWS = 300;
const INSTANCES = ['lb1', 'lb2', 'lb3'] as const;

/** A networking-sfc answer: `{ <resource>: { id, ... } }`. */
type Created = Record<string, { id: string }>;

describe('networking-sfc chain with a load-balanced hop on Open vSwitch', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  let extPort: NeutronPort;
  let vmPort: NeutronPort;
  const instancePorts: Array<{ ingress: NeutronPort; egress: NeutronPort }> = [];
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  const functions: TransparentFunction[] = [];
  let web: TcpServer;
  let classifierId: string;
  /** What the current chain is made of, deleted in reverse order. */
  let chain: { chain: string; group: string; pairs: string[] } | undefined;

  beforeAll(async () => {
    ovs = await OvsInstance.start('lb');
    sfc = await SfcProduct.start(ovs);
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    extPort = await sfc.port('ext', '198.18.50.1');
    vmPort = await sfc.port('vm', '198.18.50.2');
    for (const [index, name] of INSTANCES.entries()) {
      instancePorts.push({ ingress: await sfc.port(`${name}-in`, `198.18.50.${11 + 10 * index}`), egress: await sfc.port(`${name}-out`, `198.18.50.${12 + 10 * index}`) });
    }
    ext = await lab.endpoint('ext', { mac: extPort.mac, ip: `${extPort.ip}/24`, ifaceId: extPort.id });
    vm = await lab.endpoint('vm', { mac: vmPort.mac, ip: `${vmPort.ip}/24`, ifaceId: vmPort.id });
    for (const [index, name] of INSTANCES.entries()) {
      const { ingress, egress } = instancePorts[index]!;
      functions.push(await lab.transparentFunction(name, { ingress: { mac: ingress.mac, ifaceId: ingress.id }, egress: { mac: egress.mac, ifaceId: egress.id } }));
    }
    for (const one of [extPort, vmPort, ...instancePorts.flatMap(({ ingress, egress }) => [ingress, egress])]) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    for (const [index, name] of INSTANCES.entries()) {
      for (const one of Object.values(instancePorts[index]!)) await sfc.call('PUT', `/v2.0/ports/${one.id}`, { port: { device_id: name } });
    }
    web = await tcpServer(vm.namespace, vm.ip, 80);
    const classifier = (await sfc.call('POST', '/v2.0/sfc/flow_classifiers', {
      flow_classifier: { name: 'http', protocol: 'tcp', destination_port_range_min: 80, destination_port_range_max: 80, logical_source_port: extPort.id },
    })) as Created;
    classifierId = classifier.flow_classifier!.id;
  }, 60000);

  afterAll(async () => {
    await removeChain().catch(() => undefined);
    await web?.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  async function createChain(weights: readonly number[], lbFields: readonly string[] = []): Promise<void> {
    const pairs: string[] = [];
    for (const [index, name] of INSTANCES.entries()) {
      const { ingress, egress } = instancePorts[index]!;
      const pair = (await sfc.call('POST', '/v2.0/sfc/port_pairs', {
        port_pair: { name, ingress: ingress.id, egress: egress.id, service_function_parameters: { weight: weights[index] } },
      })) as Created;
      pairs.push(pair.port_pair!.id);
    }
    const group = (await sfc.call('POST', '/v2.0/sfc/port_pair_groups', {
      port_pair_group: { name: 'lb', port_pairs: pairs, port_pair_group_parameters: { lb_fields: lbFields } },
    })) as Created;
    const created = (await sfc.call('POST', '/v2.0/sfc/port_chains', {
      port_chain: { name: 'EXT-LB-VM', port_pair_groups: [group.port_pair_group!.id], flow_classifiers: [classifierId] },
    })) as Created;
    chain = { chain: created.port_chain!.id, group: group.port_pair_group!.id, pairs };
    const ingressPorts = functions.map((fn) => fn.ingress.ofport);
    await waitFor('the SELECT group and the classifier flow', async () => {
      const groups = await ovs.installedGroups(INTEGRATION_BRIDGE);
      const flows = await ovs.installedFlows(INTEGRATION_BRIDGE);
      // Without lb_fields a SELECT group spreads the flows; with them, the balancing table (3) does.
      const select = lbFields.length === 0 ? groups.find((line) => /type=select/.test(line)) : flows.filter((flow) => flow.includes('table=3')).join(' ');
      const outputs = select ? [...select.matchAll(/output:(\d+)/g)].map((match) => Number(match[1])) : [];
      const classified = flows.some((flow) => /priority=300/.test(flow) && flow.includes(`in_port=${ext.ofport}`));
      return classified && ingressPorts.every((ofport) => outputs.includes(ofport)) ? true : undefined;
    });
  }

  async function removeChain(): Promise<void> {
    if (!chain) return;
    const { chain: chainId, group, pairs } = chain;
    chain = undefined;
    await sfc.call('DELETE', `/v2.0/sfc/port_chains/${chainId}`);
    await sfc.call('DELETE', `/v2.0/sfc/port_pair_groups/${group}`);
    for (const pair of pairs) await sfc.call('DELETE', `/v2.0/sfc/port_pairs/${pair}`);
    await waitFor('the chain flows to go', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow)) ? undefined : true));
  }

  /**
   * Opens FLOWS connections from distinct source ports while capturing the client's packets on every
   * instance's ingress; answers, per instance, the source ports it saw.
   */
  async function spread(): Promise<{ perInstance: Array<Set<number>>; sourcePorts: number[] }> {
    const captures: Capture[] = [];
    let report: TcpFlowsReport;
    try {
      for (const fn of functions) captures.push(await capture(fn.namespace, fn.ingress.interfaceName, `tcp and dst host ${vm.ip} and dst port 80`));
      report = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: FLOWS, concurrency: 20 });
    } catch (error) {
      for (const one of captures) await one.stop().catch(() => undefined);
      throw error;
    }
    const perInstance: Array<Set<number>> = [];
    for (const one of captures) perInstance.push(new Set((await one.stop()).flatMap((packet) => (packet.srcPort === undefined ? [] : [packet.srcPort]))));
    expect(report.failed).toBe(0);
    return { perInstance, sourcePorts: report.flows.map((flow) => flow.sourcePort) };
  }

  /** Every flow on exactly one instance; answers how many flows each instance got. */
  function checkedDistribution({ perInstance, sourcePorts }: { perInstance: Array<Set<number>>; sourcePorts: number[] }): number[] {
    const expected = new Set(sourcePorts);
    expect(expected.size).toBe(FLOWS);
    for (const seen of perInstance) for (const sourcePort of seen) expect(expected.has(sourcePort)).toBe(true);
    const split = sourcePorts.filter((sourcePort) => perInstance.filter((seen) => seen.has(sourcePort)).length !== 1);
    expect(split).toEqual([]);
    return perInstance.map((seen) => seen.size);
  }

  it('spreads 300 TCP flows over the three instances, each flow on exactly one instance', async () => {
    await createChain([1, 1, 1]);
    const distribution = checkedDistribution(await spread());
    process.stdout.write(`load balancing, weights 1/1/1: ${distribution.join('/')} of ${FLOWS} flows\n`);
    expect(distribution.reduce((sum, count) => sum + count, 0)).toBe(FLOWS);
    for (const count of distribution) expect(count).toBeGreaterThan(0);
    // The VM saw the clients' own addresses: the instances are transparent.
    expect((await web.connections()).filter((seen) => seen.remoteAddress === ext.ip).length).toBeGreaterThanOrEqual(FLOWS);
  });

  it('honours port pair weights 1/1/4: the heavy instance gets the most flows', async () => {
    await removeChain();
    await createChain([1, 1, 4]);
    const select = (await ovs.installedGroups(INTEGRATION_BRIDGE)).find((line) => /type=select/.test(line));
    // ovs-ofctl prints a bucket's weight only when it is not the default 1.
    const buckets = select!.split(',bucket=').slice(1);
    expect(buckets.map((bucket) => Number(/^weight:(\d+)/.exec(bucket)?.[1] ?? 1))).toEqual([1, 1, 4]);
    expect(buckets.map((bucket) => Number(/output:(\d+)/.exec(bucket)?.[1]))).toEqual(functions.map((fn) => fn.ingress.ofport));
    const distribution = checkedDistribution(await spread());
    process.stdout.write(`load balancing, weights 1/1/4: ${distribution.join('/')} of ${FLOWS} flows\n`);
    expect(distribution[2]!).toBeGreaterThan(0.4 * FLOWS);
    expect(distribution[2]!).toBeGreaterThan(Math.max(distribution[0]!, distribution[1]!));
  });

  it('balances on lb_fields ip_src: every flow of one source on one instance, the sources spread', async () => {
    await removeChain();
    await createChain([1, 1, 1], ['ip_src']);
    const sources = Array.from({ length: 12 }, (_, index) => `198.18.50.${100 + index}`);
    for (const source of sources) await ext.namespace.exec('ip', ['addr', 'add', `${source}/24`, 'dev', ext.interfaceName]);
    const captures: Capture[] = [];
    for (const fn of functions) captures.push(await capture(fn.namespace, fn.ingress.interfaceName, `tcp and dst host ${vm.ip} and dst port 80`));
    for (const source of sources) expect((await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 8, from: source })).failed).toBe(0);
    const seenBy = await Promise.all(captures.map(async (one) => new Set((await one.stop()).map((packet) => packet.srcIp))));
    for (const source of sources) expect(seenBy.filter((seen) => seen.has(source)).length).toBe(1);
    expect(seenBy.filter((seen) => sources.some((source) => seen.has(source))).length).toBeGreaterThanOrEqual(2);
    await removeChain();
  });

  it('leaves no flow or group behind when the chain is deleted', async () => {
    await removeChain();
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).toEqual([]);
  });
});
