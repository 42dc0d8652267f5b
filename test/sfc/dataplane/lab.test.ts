import { run, waitFor } from '../../support/command.js';
import { ChainLab, type LabPort } from '../../support/chain-lab.js';
import { OvsInstance } from '../../support/ovs.js';
import { capture, interfaceCounters, ping, tcpFlows, tcpServer, udpSink, udpStream, type CapturedPacket } from '../../support/traffic.js';

/**
 * The chain lab itself, on standalone bridges (NORMAL forwarding, no controller): paths that go through a
 * service function are steered with hand-written in_port flows, as a chain's flows would steer them.
 */
describe('chain lab on a harness Open vSwitch', () => {
  let ovs: OvsInstance;
  let bridgeCount = 0;
  const labs: ChainLab[] = [];

  beforeAll(async () => {
    ovs = await OvsInstance.start('lab');
  });
  afterEach(async () => {
    for (const lab of labs.splice(0)) await lab.close();
  });
  afterAll(async () => {
    await ovs?.stop();
  });

  const newLab = async (): Promise<ChainLab> => {
    bridgeCount += 1;
    const bridge = `br-lab${bridgeCount}`;
    await ovs.addBridge(bridge, { failMode: 'standalone' });
    const lab = new ChainLab(ovs, bridge);
    labs.push(lab);
    return lab;
  };

  /** For each pair, in_port flows both ways between its two ports, above the bridge's NORMAL flow. */
  const steer = async (lab: ChainLab, pairs: Array<[LabPort, LabPort]>): Promise<void> => {
    for (const [a, b] of pairs) {
      await ovs.ofctl('add-flow', lab.bridge, `priority=100,in_port=${a.ofport},actions=output:${b.ofport}`);
      await ovs.ofctl('add-flow', lab.bridge, `priority=100,in_port=${b.ofport},actions=output:${a.ofport}`);
    }
  };

  const icmp = (packets: CapturedPacket[], kind: 'request' | 'reply'): CapturedPacket[] =>
    packets.filter((packet) => packet.protocol === 'icmp' && packet.text.includes(`echo ${kind}`));

  it('plugs endpoints with exactly the MAC, address and iface-id asked for; they ping and carry 50 TCP flows', async () => {
    const lab = await newLab();
    const h1 = await lab.endpoint('h1', { mac: '02:1a:b0:00:01:01', ip: '198.18.1.1/24', ifaceId: 'port-h1' });
    const h2 = await lab.endpoint('h2', { mac: '02:1a:b0:00:01:02', ip: '198.18.1.2/24', ifaceId: 'port-h2' });
    expect((await ovs.vsctl('get', 'Interface', h1.ovsPort, 'external_ids:iface-id')).trim()).toBe('port-h1');
    expect((await ovs.vsctl('get', 'Interface', h2.ovsPort, 'external_ids:iface-id')).trim()).toBe('port-h2');
    const { stdout: address } = await h1.namespace.exec('ip', ['-j', 'addr', 'show', 'dev', h1.interfaceName]);
    expect(JSON.parse(address)).toMatchObject([{ address: '02:1a:b0:00:01:01', addr_info: [{ local: '198.18.1.1', prefixlen: 24 }] }]);

    expect(await ping(h1.namespace, h2.ip, 3)).toBe(3);

    const server = await tcpServer(h2.namespace, h2.ip, 8080);
    const sniffer = await capture(h2.namespace, h2.interfaceName, 'tcp port 8080');
    try {
      const report = await tcpFlows(h1.namespace, { to: h2.ip, port: 8080, count: 50, concurrency: 10 });
      expect(report.failed).toBe(0);
      expect(report.succeeded).toBe(50);
      for (const flow of report.flows) expect(flow.answer).toBe(`echo flow ${flow.index} from ${h1.ip}:${flow.sourcePort} to ${h2.ip}:8080`);
      const packets = await sniffer.stop();
      const syns = packets.filter((packet) => packet.tcpFlags === 'S' && packet.dstPort === 8080);
      expect(new Set(syns.map((packet) => packet.srcPort))).toEqual(new Set(report.flows.map((flow) => flow.sourcePort)));
      expect(syns).toHaveLength(50);
      expect(packets.every((packet) => packet.checksumsOk)).toBe(true);
      expect((await server.connections()).length).toBe(50);
    } finally {
      await sniffer.stop().catch(() => undefined);
      await server.close();
    }

    // Failures are reported per flow, within the timeout: refused by a closed port, or lost to a drop flow.
    const refused = await tcpFlows(h1.namespace, { to: h2.ip, port: 8081, count: 3 });
    expect(refused.flows.map((flow) => [flow.ok, flow.error])).toEqual(Array(3).fill([false, expect.stringContaining('ECONNREFUSED')]));
    await ovs.ofctl('add-flow', lab.bridge, `priority=200,tcp,nw_dst=${h2.ip},tp_dst=8082,actions=drop`);
    const started = Date.now();
    const blackholed = await tcpFlows(h1.namespace, { to: h2.ip, port: 8082, count: 4, concurrency: 4, timeoutMs: 500 });
    expect(blackholed.failed).toBe(4);
    expect(blackholed.flows.every((flow) => flow.error === 'timed out after 500 ms')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a transparent function forwards frames unchanged, both directions, and counts them', async () => {
    const lab = await newLab();
    const h1 = await lab.endpoint('h1', { mac: '02:1a:b0:00:02:01', ip: '198.18.2.1/24', ifaceId: 'port-h1' });
    const h2 = await lab.endpoint('h2', { mac: '02:1a:b0:00:02:02', ip: '198.18.2.2/24', ifaceId: 'port-h2' });
    const sf = await lab.transparentFunction('sf', {
      ingress: { mac: '02:1a:b0:00:02:11', ifaceId: 'port-sf-in' },
      egress: { mac: '02:1a:b0:00:02:12', ifaceId: 'port-sf-out' },
    });
    await steer(lab, [[h1, sf.ingress], [sf.egress, h2]]);

    const atIngress = await capture(sf.namespace, sf.ingress.interfaceName);
    const atEgress = await capture(sf.namespace, sf.egress.interfaceName);
    const atH2 = await capture(h2.namespace, h2.interfaceName, 'icmp');
    const before = await sf.counters();
    expect(await ping(h1.namespace, h2.ip, 5)).toBe(5);
    const server = await tcpServer(h2.namespace, h2.ip, 9000);
    const flows = await tcpFlows(h1.namespace, { to: h2.ip, port: 9000, count: 5 });
    await server.close();
    expect(flows.succeeded).toBe(5);
    const after = await sf.counters();
    const [ingressFrames, egressFrames, h2Frames] = [await atIngress.stop(), await atEgress.stop(), await atH2.stop()];

    // Every frame the function received on one side it sent out of the other, and it sent nothing of its own.
    const forward = after.forward.received - before.forward.received;
    const reverse = after.reverse.received - before.reverse.received;
    expect(forward).toBeGreaterThanOrEqual(5 + 5 * 3); // echo requests, and at least SYN, ACK/data, FIN per flow
    expect(reverse).toBeGreaterThanOrEqual(5 + 5 * 3);
    expect(after.forward.sent - before.forward.sent).toBe(forward);
    expect(after.reverse.sent - before.reverse.sent).toBe(reverse);
    expect(after.redirected.forward - before.redirected.forward).toBe(forward);
    expect(after.redirected.reverse - before.redirected.reverse).toBe(reverse);

    // Frames look the same on both interfaces: MACs, addresses, ports, TTL, checksums.
    const summary = (packet: CapturedPacket): string =>
      `${packet.srcMac}>${packet.dstMac} ${packet.protocol} ${packet.srcIp}:${packet.srcPort}>${packet.dstIp}:${packet.dstPort} ttl=${packet.ttl} ${packet.tcpFlags} ${packet.checksumsOk}`;
    expect(ingressFrames.map(summary).sort()).toEqual(egressFrames.map(summary).sort());
    expect(ingressFrames).toHaveLength(forward + reverse);
    const requests = icmp(h2Frames, 'request');
    expect(requests).toHaveLength(5);
    for (const request of requests) expect(request).toMatchObject({ srcMac: h1.mac, dstMac: h2.mac, srcIp: h1.ip, dstIp: h2.ip, ttl: 64 });
    for (const reply of icmp(h2Frames, 'reply')) expect(reply).toMatchObject({ srcMac: h2.mac, dstMac: h1.mac });
    // ARP went through too: h1 resolved h2's own MAC, not the function's.
    const { stdout: neighbours } = await h1.namespace.exec('ip', ['-j', 'neigh', 'show', h2.ip]);
    expect(JSON.parse(neighbours)).toMatchObject([{ dst: h2.ip, lladdr: h2.mac }]);
  });

  it('a router function forwards between two hosts of one subnet, rewriting MACs and decrementing the TTL', async () => {
    const lab = await newLab();
    const macs = { h1: '02:1a:b0:00:03:01', h2: '02:1a:b0:00:03:02', in: '02:1a:b0:00:03:11', out: '02:1a:b0:00:03:12' };
    // Each host sends to the other's address at the router's MAC, as a chain would steer it: no ARP anywhere.
    const h1 = await lab.endpoint('h1', { mac: macs.h1, ip: '198.18.3.1/24', ifaceId: 'port-h1', neighbours: [{ ip: '198.18.3.2', mac: macs.in }] });
    const h2 = await lab.endpoint('h2', { mac: macs.h2, ip: '198.18.3.2/24', ifaceId: 'port-h2', neighbours: [{ ip: '198.18.3.1', mac: macs.out }] });
    const router = await lab.routerFunction('rt', {
      ingress: { mac: macs.in, ip: '198.18.3.253/24', ifaceId: 'port-rt-in' },
      egress: { mac: macs.out, ip: '198.18.3.254/24', ifaceId: 'port-rt-out' },
      routes: [
        { destination: h2.ip, via: 'egress' },
        { destination: h1.ip, via: 'ingress' },
      ],
      neighbours: [
        { ip: h2.ip, mac: h2.mac, via: 'egress' },
        { ip: h1.ip, mac: h1.mac, via: 'ingress' },
      ],
    });
    await steer(lab, [[h1, router.ingress], [router.egress, h2]]);

    const atH2 = await capture(h2.namespace, h2.interfaceName);
    const atH1 = await capture(h1.namespace, h1.interfaceName);
    expect(await ping(h1.namespace, h2.ip, 4)).toBe(4);
    const server = await tcpServer(h2.namespace, h2.ip, 9100);
    const flows = await tcpFlows(h1.namespace, { to: h2.ip, port: 9100, count: 10 });
    await server.close();
    expect(flows.failed).toBe(0);
    const [h2Frames, h1Frames] = [await atH2.stop(), await atH1.stop()];
    expect(h2Frames.filter((packet) => packet.protocol === 'arp')).toEqual([]);
    expect(h1Frames.filter((packet) => packet.protocol === 'arp')).toEqual([]);
    const requests = icmp(h2Frames, 'request');
    expect(requests).toHaveLength(4);
    for (const request of requests) expect(request).toMatchObject({ srcMac: macs.out, dstMac: macs.h2, srcIp: h1.ip, dstIp: h2.ip, ttl: 63 });
    for (const reply of icmp(h1Frames, 'reply')) expect(reply).toMatchObject({ srcMac: macs.in, dstMac: macs.h1, srcIp: h2.ip, ttl: 63 });
    const syns = h2Frames.filter((packet) => packet.tcpFlags === 'S');
    expect(syns.map((packet) => packet.srcPort).sort()).toEqual(flows.flows.map((flow) => flow.sourcePort).sort());
    expect(h2Frames.every((packet) => packet.checksumsOk)).toBe(true);
    const counters = await router.counters();
    expect(counters.forward.received).toBeGreaterThanOrEqual(4 + 10 * 3);
    expect(counters.forward.sent).toBe(counters.forward.received);
    expect(counters.reverse.sent).toBe(counters.reverse.received);
  });

  it('counts UDP loss exactly: none on a direct path, and what a drop flow installed mid-stream took', async () => {
    const lab = await newLab();
    const h1 = await lab.endpoint('h1', { mac: '02:1a:b0:00:04:01', ip: '198.18.4.1/24', ifaceId: 'port-h1' });
    const h2 = await lab.endpoint('h2', { mac: '02:1a:b0:00:04:02', ip: '198.18.4.2/24', ifaceId: 'port-h2' });
    expect(await ping(h1.namespace, h2.ip, 1)).toBe(1); // resolves ARP before the stream
    const sink = await udpSink(h2.namespace, h2.ip, 7000);
    try {
      const clean = await udpStream(h1.namespace, { to: h2.ip, port: 7000, rate: 500, durationMs: 1500 });
      expect(clean).toMatchObject({ sent: 750, errors: 0 });
      const cleanReport = await waitFor('the sink to have every datagram', async () => {
        const report = await sink.report(clean.sent);
        return report.received >= clean.sent ? report : undefined;
      }, 3000);
      expect(cleanReport).toMatchObject({ received: 750, duplicates: 0, missing: [] });
      await sink.close();

      const lossySink = await udpSink(h2.namespace, h2.ip, 7001);
      const drop = `cookie=0xd0,priority=200,udp,in_port=${h1.ofport},nw_dst=${h2.ip},tp_dst=7001`;
      const streaming = udpStream(h1.namespace, { to: h2.ip, port: 7001, rate: 500, durationMs: 2000 });
      await new Promise((resolve) => setTimeout(resolve, 800));
      await ovs.ofctl('add-flow', lab.bridge, `${drop},actions=drop`);
      const lossy = await streaming;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const report = await lossySink.report(lossy.sent);
      await lossySink.close();

      // The datapath hands counters to the OpenFlow table periodically: wait until they stop moving.
      let previous = -1;
      const dropped = await waitFor('the drop flow counter to settle', async () => {
        const packets = Number(/n_packets=(\d+)/.exec(await ovs.ofctl('dump-flows', lab.bridge, 'cookie=0xd0/-1'))?.[1] ?? -1);
        const settled = packets === previous && packets > 0 ? packets : undefined;
        previous = packets;
        return settled;
      }, 10000, 300);
      expect(lossy).toMatchObject({ sent: 1000, errors: 0 });
      expect(report.duplicates).toBe(0);
      expect(report.missing.length).toBe(dropped);
      expect(report.received).toBe(lossy.sent - dropped);
      // Lost from the moment the flow went in to the end of the stream, nothing before.
      const first = report.missing[0]!;
      expect(first).toBeGreaterThan(100);
      expect(report.missing).toEqual(Array.from({ length: lossy.sent - first }, (_, index) => first + index));
    } finally {
      await sink.close();
    }
  });

  it('close() removes every namespace and OVS port it made, with any process still running inside', async () => {
    const lab = await newLab();
    const h1 = await lab.endpoint('h1', { mac: '02:1a:b0:00:05:01', ip: '198.18.5.1/24', ifaceId: 'port-h1' });
    const h2 = await lab.endpoint('h2', { mac: '02:1a:b0:00:05:02', ip: '198.18.5.2/24', ifaceId: 'port-h2', gateway: '198.18.5.254' });
    await lab.transparentFunction('sf', { ingress: { mac: '02:1a:b0:00:05:11', ifaceId: 'sf-in' }, egress: { mac: '02:1a:b0:00:05:12', ifaceId: 'sf-out' } });
    await lab.routerFunction('rt', {
      ingress: { mac: '02:1a:b0:00:05:21', ip: '198.18.5.21/24', ifaceId: 'rt-in' },
      egress: { mac: '02:1a:b0:00:05:22', ip: '198.18.5.22/24', ifaceId: 'rt-out' },
      routes: [{ destination: '198.18.6.0/24', via: 'egress', gateway: '198.18.5.2' }],
      neighbours: [{ ip: '198.18.5.2', mac: h2.mac, via: 'egress' }],
    });
    const { stdout: routes } = await h2.namespace.exec('ip', ['-j', 'route', 'show', 'default']);
    expect(JSON.parse(routes)).toMatchObject([{ dst: 'default', gateway: '198.18.5.254' }]);
    const forgotten = await tcpServer(h1.namespace, h1.ip, 8080); // never closed: close() must still clean up
    const names = lab.namespaceNames;
    const ports = lab.ovsPorts;
    expect(names).toHaveLength(4);
    expect(ports).toHaveLength(6);
    expect((await ovs.vsctl('list-ports', lab.bridge)).trim().split('\n').sort()).toEqual([...ports].sort());

    await lab.close();

    const { stdout: namespaces } = await run('ip', ['netns', 'list']);
    for (const name of names) expect(namespaces).not.toContain(name);
    expect((await ovs.vsctl('list-ports', lab.bridge)).trim()).toBe('');
    const { stdout: links } = await ovs.namespace.exec('ip', ['-o', 'link', 'show']);
    for (const port of ports) expect(links).not.toContain(port);
    await forgotten.close(); // already killed: answers at once
    await expect(interfaceCounters(h1.namespace, h1.interfaceName)).rejects.toThrow();
  });
});
