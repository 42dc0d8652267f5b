import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { tcpFlows, tcpServer, udpSink, udpStream, type TcpServer, type UdpSink } from '../../support/traffic.js';

/**
 * A primary|backup service function through the Traffic Steering API, on a real Open vSwitch the product
 * programs: EXT -> FW (primary FW-A, backup FW-B) -> VM. The hop is a FAST_FAILOVER group whose first bucket
 * watches FW-A's ingress port; taking FW-A's ingress link down (inside its namespace: the veth peer, the
 * switch's port, loses its carrier) must move the traffic to FW-B within a second, and bringing it back up
 * must move it back (FAST_FAILOVER prefers the first live bucket, the primary).
 *
 * The chain classifies HTTP (TCP 80) with one classifier and a UDP stream to port 5000 with a second one,
 * both towards the VM: the UDP stream carries sequence numbers, which measure the failover gap.
 */
const UDP_PORT = 5000;
const UDP_RATE = 200; // datagrams per second: one every 5 ms
const INTERVAL_MS = 1000 / UDP_RATE;

describe('Traffic Steering primary|backup service function on Open vSwitch', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  const port: Record<'ext' | 'vm' | 'fwAIn' | 'fwAOut' | 'fwBIn' | 'fwBOut', NeutronPort> = {} as never;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fwA: TransparentFunction;
  let fwB: TransparentFunction;
  let web: TcpServer;
  let sink: UdpSink;
  let chainId: string;
  let failoverGroup: string;

  beforeAll(async () => {
    ovs = await OvsInstance.start('failover');
    sfc = await SfcProduct.start(ovs);
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    const addresses = { ext: '198.18.40.1', vm: '198.18.40.2', fwAIn: '198.18.40.11', fwAOut: '198.18.40.12', fwBIn: '198.18.40.21', fwBOut: '198.18.40.22' } as const;
    for (const [name, ip] of Object.entries(addresses) as Array<[keyof typeof port, string]>) port[name] = await sfc.port(name, ip);
    ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    fwA = await lab.transparentFunction('fwa', { ingress: { mac: port.fwAIn.mac, ifaceId: port.fwAIn.id }, egress: { mac: port.fwAOut.mac, ifaceId: port.fwAOut.id } });
    fwB = await lab.transparentFunction('fwb', { ingress: { mac: port.fwBIn.mac, ifaceId: port.fwBIn.id }, egress: { mac: port.fwBOut.mac, ifaceId: port.fwBOut.id } });
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    web = await tcpServer(vm.namespace, vm.ip, 80);
    sink = await udpSink(vm.namespace, vm.ip, UDP_PORT);
  }, 60000);

  afterAll(async () => {
    await web?.close();
    await sink?.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  /** The switch's view of a port: `ovs-ofctl dump-ports-desc` says `LINK_DOWN` in its state line. */
  const linkDown = async (ovsPort: string): Promise<boolean> => {
    const description = await ovs.ofctl('dump-ports-desc', INTEGRATION_BRIDGE);
    const block = description.split(/\n(?= \d+\()/).find((entry) => entry.includes(`(${ovsPort})`));
    if (!block) throw new Error(`no port ${ovsPort} in:\n${description}`);
    return /state:\s+LINK_DOWN/.test(block);
  };

  const forward = async (fn: TransparentFunction): Promise<number> => (await fn.counters()).redirected.forward;

  it('programs the hop as a FAST_FAILOVER group watching the primary, then the backup', async () => {
    const http = (await sfc.call('POST', '/v2.0/ts/classifiers', { classifier: { name: 'HTTP', Protocol: 6, port_range: '80', dst_ip: `${vm.ip}/32` } })) as { classifier: { id: string } };
    const udp = (await sfc.call('POST', '/v2.0/ts/classifiers', { classifier: { name: 'STREAM', Protocol: 17, port_range: String(UDP_PORT), dst_ip: `${vm.ip}/32` } })) as { classifier: { id: string } };
    const created = (await sfc.call('POST', '/v2.0/ts/port_chains', {
      port_chain: { name: 'FW-HA', classifiers: [http.classifier.id, udp.classifier.id], ports: { [`${port.fwAIn.id}|${port.fwBIn.id}`]: [`${port.fwAOut.id}|${port.fwBOut.id}`] } },
    })) as { port_chain: { id: string; ports: Record<string, string[]> } };
    chainId = created.port_chain.id;
    expect(created.port_chain.ports).toEqual({ [`${port.fwAIn.id}|${port.fwBIn.id}`]: [`${port.fwAOut.id}|${port.fwBOut.id}`] });

    const groups = await waitFor('the FAST_FAILOVER group', async () => {
      const installed = await ovs.installedGroups(INTEGRATION_BRIDGE);
      const flows = await ovs.installedFlows(INTEGRATION_BRIDGE);
      return installed.length > 0 && flows.some((flow) => /priority=300/.test(flow) && /udp/.test(flow)) ? installed : undefined;
    });
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group).toMatch(/type=ff/);
    failoverGroup = group!;
    const watched = [...group!.matchAll(/watch_port:(\d+)/g)].map((match) => Number(match[1]));
    expect(watched).toEqual([fwA.ingress.ofport, fwB.ingress.ofport]);
  });

  it('steady state: HTTP crosses FW-A only', async () => {
    const before = { a: await forward(fwA), b: await forward(fwB) };
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 20 });
    expect(flows.failed).toBe(0);
    const after = { a: await forward(fwA), b: await forward(fwB) };
    expect(after.a - before.a).toBeGreaterThanOrEqual(20 * 3);
    expect(after.b - before.b).toBe(0);
  });

  it('fails over to FW-B in under a second when FW-A ingress link goes down, and HTTP follows', async () => {
    const before = { a: await forward(fwA), b: await forward(fwB) };
    const durationMs = 3000;
    const stream = udpStream(ext.namespace, { to: vm.ip, port: UDP_PORT, rate: UDP_RATE, durationMs, sourcePort: 40000 });
    // The agent takes a moment to start: wait until half a second of the stream has crossed FW-A.
    await waitFor('the stream to flow through FW-A', async () => ((await forward(fwA)) - before.a >= UDP_RATE / 2 ? true : undefined), 5000);
    // Inside FW-A: its ingress interface down. The veth's other end, the switch's port, loses its carrier.
    await fwA.namespace.exec('ip', ['link', 'set', fwA.ingress.interfaceName, 'down']);
    const report = await stream;
    expect(report.errors).toBe(0);
    expect(await linkDown(fwA.ingress.ovsPort)).toBe(true);
    // The switch failed over by itself: the controller did not have to reprogram the group.
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).toEqual([failoverGroup]);
    const after = { a: await forward(fwA), b: await forward(fwB) };
    const received = await waitFor('the stream to drain', async () => {
      const got = await sink.report(report.sent);
      return got.sequences.length === after.a - before.a + (after.b - before.b) ? got : undefined;
    }, 3000).catch(() => sink.report(report.sent));

    // The stream is in order on one path at a time: the first datagrams FW-A forwarded, the rest FW-B.
    const throughA = after.a - before.a;
    const throughB = after.b - before.b;
    expect(throughA).toBeGreaterThan(0);
    expect(throughB).toBeGreaterThan(0);
    expect(received.duplicates).toBe(0);
    expect(received.sequences.length).toBe(throughA + throughB);
    const lastThroughA = received.sequences[throughA - 1]!;
    const firstThroughB = received.sequences[throughA]!;
    const gapMs = (firstThroughB - lastThroughA) * INTERVAL_MS;
    const lost = received.missing.length;
    process.stdout.write(
      `failover: sent ${report.sent} at ${UDP_RATE}/s, ${throughA} via FW-A (last #${lastThroughA}), ${throughB} via FW-B (first #${firstThroughB}), ` +
        `${lost} lost, gap ${gapMs} ms\n`,
    );
    expect(gapMs).toBeLessThan(1000);
    // Nothing is lost but the datagrams of the gap itself.
    expect(received.missing.every((sequence) => sequence > lastThroughA && sequence < firstThroughB)).toBe(true);

    const http = { a: await forward(fwA), b: await forward(fwB) };
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 10 });
    expect(flows.failed).toBe(0);
    expect((await forward(fwB)) - http.b).toBeGreaterThanOrEqual(10 * 3);
    expect((await forward(fwA)) - http.a).toBe(0);
  });

  it('returns to FW-A once its ingress link is back up', async () => {
    await fwA.namespace.exec('ip', ['link', 'set', fwA.ingress.interfaceName, 'up']);
    await waitFor("FW-A's switch port to be live again", async () => ((await linkDown(fwA.ingress.ovsPort)) ? undefined : true), 5000);
    const before = { a: await forward(fwA), b: await forward(fwB) };
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 10 });
    expect(flows.failed).toBe(0);
    const stream = await udpStream(ext.namespace, { to: vm.ip, port: UDP_PORT, rate: UDP_RATE, durationMs: 500, sourcePort: 40001 });
    expect(stream.errors).toBe(0);
    const after = { a: await forward(fwA), b: await forward(fwB) };
    expect(after.a - before.a).toBeGreaterThanOrEqual(10 * 3 + stream.sent);
    expect(after.b - before.b).toBe(0);
  });

  it('leaves no flow or group behind when the chain is deleted', async () => {
    await sfc.call('DELETE', `/v2.0/ts/port_chains/${chainId}`);
    await waitFor('the chain flows to go', async () => ((await ovs.installedFlows(INTEGRATION_BRIDGE)).some((flow) => /priority=300/.test(flow)) ? undefined : true));
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).toEqual([]);
  });
});
