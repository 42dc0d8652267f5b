import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../support/command.js';
import { NetworkNamespace } from '../../support/netns.js';
import { OvsInstance, type VethAttachment } from '../../support/ovs.js';
import { tcpFlows, tcpServer } from '../../support/traffic.js';
import { addVxlanPort, joinByUnderlay, UNDERLAY_BRIDGE, type Underlay } from '../../support/underlay.js';

const BRIDGE = 'br-int';
const VNI = '0x123';
const OTHER_VNI = '0x456';

/**
 * Two harness Open vSwitch instances (userspace datapath, each in its own namespace) joined by an underlay
 * veth through their br-phy bridges; a VXLAN port on each br-int carries an endpoint's traffic to the other.
 * No controller: hand-written flows put the endpoint's packets into the tunnel with tun_id 0x123 and take
 * tun_id 0x123 out of it to the endpoint.
 */
describe('VXLAN between two harness Open vSwitch instances over an underlay', () => {
  type Side = { ovs: OvsInstance; ns: NetworkNamespace; endpoint: VethAttachment; vxlan: number; ip: string };
  let a: Side;
  let b: Side;
  let underlay: Underlay;
  const instances: OvsInstance[] = [];
  const namespaces: NetworkNamespace[] = [];

  const makeSide = async (label: string, ip: string, mac: string): Promise<Side> => {
    const ovs = await OvsInstance.start(label);
    instances.push(ovs);
    await ovs.addBridge(BRIDGE, { failMode: 'secure', protocols: 'OpenFlow13' });
    const ns = await NetworkNamespace.create(`${label}h`);
    namespaces.push(ns);
    const endpoint = await ovs.attach(ns, BRIDGE, { address: `${ip}/24`, mac });
    return { ovs, ns, endpoint, vxlan: 0, ip };
  };

  /** `ping -s size -M do` (never fragment): answers the replies received, 0 rather than an error. */
  const bigPing = async (from: Side, to: string, size: number, count = 3): Promise<number> => {
    try {
      const { stdout } = await from.ns.exec('ping', ['-c', String(count), '-i', '0.2', '-W', '2', '-s', String(size), '-M', 'do', to], {
        timeoutMs: (count * 3 + 5) * 1000,
      });
      return Number(/(\d+) received/.exec(stdout)?.[1] ?? 0);
    } catch (error) {
      return Number(/(\d+) received/.exec((error as { stdout?: string }).stdout ?? '')?.[1] ?? 0);
    }
  };

  /** n_packets of the flows on `side`'s br-int with this cookie, as `ovs-ofctl dump-flows` counts them. */
  const packets = async (side: Side, cookie: string): Promise<number> => {
    const dump = await side.ovs.ofctl('dump-flows', BRIDGE, `cookie=${cookie}/-1`);
    return [...dump.matchAll(/n_packets=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  };

  /** The userspace datapath hands counters to the OpenFlow tables every so often: wait for at least `min`. */
  const packetsAtLeast = (side: Side, cookie: string, min: number): Promise<number> =>
    waitFor(`flow ${cookie} to count ${min} packets`, async () => {
      const count = await packets(side, cookie);
      return count >= min ? count : undefined;
    }, 10000, 200);

  /** A flow's count once the datapath has handed over everything it had: the same value on reads 1 s apart. */
  const settled = async (side: Side, cookie: string): Promise<number> => {
    let previous = -1;
    return waitFor(`flow ${cookie} counters to settle`, async () => {
      const now = await packets(side, cookie);
      const done = now === previous;
      previous = now;
      return done ? now : undefined;
    }, 15000, 1000);
  };

  /** Endpoint into the tunnel with `vni`; tunnel with VNI 0x123 to the endpoint; 0x456 from the tunnel dropped, counted. */
  const program = async (side: Side, vni = VNI): Promise<void> => {
    await side.ovs.ofctl('del-flows', BRIDGE);
    await side.ovs.ofctl('add-flow', BRIDGE, `cookie=0x1,priority=100,in_port=${side.endpoint.ofport},actions=set_field:${vni}->tun_id,output:${side.vxlan}`);
    await side.ovs.ofctl('add-flow', BRIDGE, `cookie=0x2,priority=100,in_port=${side.vxlan},tun_id=${VNI},actions=output:${side.endpoint.ofport}`);
    await side.ovs.ofctl('add-flow', BRIDGE, `cookie=0x3,priority=100,in_port=${side.vxlan},tun_id=${OTHER_VNI},actions=drop`);
    await side.ovs.ofctl('add-flow', BRIDGE, `cookie=0x4,priority=0,actions=drop`);
  };

  beforeAll(async () => {
    a = await makeSide('ula', '198.18.50.1', '02:00:c6:12:32:01');
    b = await makeSide('ulb', '198.18.50.2', '02:00:c6:12:32:02');
    underlay = await joinByUnderlay(a.ovs, b.ovs);
    a.vxlan = await addVxlanPort(a.ovs, BRIDGE, 'vx-to-b', underlay.bAddress);
    b.vxlan = await addVxlanPort(b.ovs, BRIDGE, 'vx-to-a', underlay.aAddress, { ofportRequest: 77 });
    await program(a);
    await program(b);
  }, 120000);

  afterAll(async () => {
    await underlay?.close();
    for (const ns of namespaces) await ns.delete();
    for (const ovs of instances) await ovs.stop();
  }, 60000);

  it('builds the br-phy underlay: addresses, OVS routes and tunnel neighbours on both sides', async () => {
    expect(underlay.aAddress).toMatch(/^198\.19\.\d+\.1$/);
    expect(underlay.bAddress).toMatch(/^198\.19\.\d+\.2$/);
    expect(underlay.mtu).toBe(1600);
    for (const [side, own, other, port] of [[a, underlay.aAddress, underlay.bAddress, underlay.aPort], [b, underlay.bAddress, underlay.aAddress, underlay.bPort]] as const) {
      expect(await side.ovs.vsctl('list-ports', UNDERLAY_BRIDGE)).toBe(`${port}\n`);
      expect((await side.ovs.vsctl('get', 'Bridge', UNDERLAY_BRIDGE, 'datapath_type')).trim()).toBe('netdev');
      const { stdout } = await side.ovs.namespace.exec('ip', ['-j', 'addr', 'show', 'dev', UNDERLAY_BRIDGE]);
      expect(JSON.parse(stdout)).toMatchObject([{ addr_info: [{ local: own, prefixlen: 24 }] }]);
      expect(await side.ovs.appctl('ovs/route/show')).toContain(`${underlay.subnet} dev ${UNDERLAY_BRIDGE}`);
      expect(await side.ovs.appctl('tnl/neigh/show')).toMatch(new RegExp(`^${other.replace(/\./g, '\\.')}\\s+[0-9a-f:]{17}\\s+${UNDERLAY_BRIDGE}`, 'm'));
    }
    expect(b.vxlan).toBe(77);
    expect((await a.ovs.vsctl('get', 'Interface', 'vx-to-b', 'options')).trim()).toBe(`{key=flow, remote_ip="${underlay.bAddress}"}`);
  });

  it('pings both ways through the tunnel', async () => {
    expect(await a.ns.ping(b.ip, 5)).toBe(5);
    expect(await b.ns.ping(a.ip, 5)).toBe(5);
  });

  it('carries tun_id: packets in VNI 0x123 hit the 0x123 flow, never the 0x456 one, and VNI 0x456 never reaches the endpoint', async () => {
    expect(await a.ns.ping(b.ip, 3)).toBe(3);
    await packetsAtLeast(b, '0x2', 3);
    expect(await packets(b, '0x3')).toBe(0);
    expect(await packets(a, '0x3')).toBe(0);

    // A now sends with VNI 0x456: B's 0x123 flow must not see them, its 0x456 drop flow counts them.
    await program(a, OTHER_VNI);
    try {
      const beforeMatch = await settled(b, '0x2');
      const beforeOther = await packets(b, '0x3');
      expect(await a.ns.ping(b.ip, 5, 1)).toBe(0);
      await waitFor('B to count the VNI 0x456 packets', async () => ((await packets(b, '0x3')) - beforeOther >= 5 ? true : undefined), 10000, 200);
      expect(await settled(b, '0x2')).toBe(beforeMatch);
      expect(await packets(b, '0x4')).toBe(0); // nothing fell through to the table-miss drop
    } finally {
      await program(a);
    }
    await waitFor('the tunnel to carry pings again', async () => ((await a.ns.ping(b.ip, 1, 1)) === 1 ? true : undefined), 10000, 200);
  });

  it('carries 10 TCP flows', async () => {
    const server = await tcpServer(b.ns, b.ip, 8080);
    try {
      const report = await tcpFlows(a.ns, { to: b.ip, port: 8080, count: 10, concurrency: 10 });
      expect(report.flows.filter((flow) => !flow.ok)).toEqual([]);
      expect(report.succeeded).toBe(10);
      const seen = await server.connections();
      expect(seen).toHaveLength(10);
      expect(new Set(seen.map((connection) => connection.remoteAddress))).toEqual(new Set([a.ip]));
    } finally {
      await server.close();
    }
  });

  it('fits full-size 1500-byte inner packets only because the underlay MTU is above 1550', async () => {
    // 1472 bytes of ICMP payload: 1500-byte inner IP packet, 1514-byte inner frame, 1550-byte outer IP packet.
    expect(await bigPing(a, b.ip, 1472)).toBe(3);
    expect(await bigPing(b, a.ip, 1472)).toBe(3);
    expect(await bigPing(a, b.ip, 1400)).toBe(3);
    const setMtu = async (mtu: number): Promise<void> => {
      await a.ovs.namespace.exec('ip', ['link', 'set', underlay.aPort, 'mtu', String(mtu)]);
      await b.ovs.namespace.exec('ip', ['link', 'set', underlay.bPort, 'mtu', String(mtu)]);
    };
    try {
      await setMtu(1500);
      // At the default 1500, up to 1450-byte inner packets fit (1400 + 28 + 50 = 1478); 1500-byte ones do not.
      expect(await bigPing(a, b.ip, 1400)).toBe(3);
      expect(await bigPing(a, b.ip, 1422)).toBe(3);
      expect(await bigPing(a, b.ip, 1423, 2)).toBe(0);
      expect(await bigPing(a, b.ip, 1472, 2)).toBe(0);
      // The userspace datapath neither fragments the outer packet nor answers "fragmentation needed": the
      // send on the veth fails, counted nowhere in dpctl/show, only logged.
      const log = fs.readFileSync(path.join(a.ovs.dir, 'ovs-vswitchd.log'), 'utf8');
      expect(log).toContain(`error sending Ethernet packet on ${underlay.aPort}: Message too long`);
    } finally {
      await setMtu(underlay.mtu);
    }
    await waitFor('full-size packets to pass again', async () => ((await bigPing(a, b.ip, 1472, 1)) === 1 ? true : undefined), 10000, 200);
  });

  it('shows the tunnel push in ofproto/trace on A’s br-int', async () => {
    const trace = await a.ovs.trace(
      BRIDGE,
      `in_port=${a.endpoint.ofport},icmp,dl_src=${a.endpoint.mac},dl_dst=${b.endpoint.mac},nw_src=${a.ip},nw_dst=${b.ip},nw_ttl=64`,
    );
    expect(trace).toContain(`set_field:${VNI}->tun_id`);
    expect(trace).toContain(`output:${a.vxlan}`);
    const datapath = /Datapath actions: (.*)/.exec(trace)?.[1] ?? '';
    expect(datapath).toContain('tnl_push(');
    expect(datapath).toContain(`dst=${underlay.bAddress}`);
    expect(datapath).toContain(`src=${underlay.aAddress}`);
    expect(datapath).toContain('dst=4789');
    expect(datapath).toContain('vni=0x123');
  });

  it('close() removes br-phy and the veth, and the tunnel stops', async () => {
    await underlay.close();
    for (const [side, port] of [[a, underlay.aPort], [b, underlay.bPort]] as const) {
      expect(await side.ovs.vsctl('list-br')).not.toContain(UNDERLAY_BRIDGE);
      await expect(side.ovs.namespace.exec('ip', ['link', 'show', port])).rejects.toThrow();
    }
    expect(await a.ns.ping(b.ip, 2, 1)).toBe(0);
    await underlay.close(); // idempotent
  });
});
