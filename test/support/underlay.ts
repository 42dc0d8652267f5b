import { run, uniqueSuffix, waitFor } from './command.js';
import type { OvsInstance } from './ovs.js';

/**
 * The bridge that owns an instance's underlay address. With the userspace datapath a tunnel port has no
 * kernel device of its own: OVS looks the remote address up in its own routing table (learned from the
 * namespace's), finds the bridge whose internal interface has the route, resolves the next hop in its own
 * neighbour cache, pushes the outer headers and sends the packet through that bridge's flow table (here
 * NORMAL), out of the physical port. This is the "br-phy" layout of OVS's userspace-tunneling howto.
 */
export const UNDERLAY_BRIDGE = 'br-phy';

/**
 * VXLAN adds 50 bytes (outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8) to every inner frame. With the veth at the
 * default 1500, an inner IP packet of more than 1450 bytes is too large for the underlay and the userspace
 * datapath drops it (it neither fragments the outer packet nor sends ICMP "fragmentation needed" back):
 * full-size 1500-byte inner packets need at least 1550 here. 1600 leaves room.
 */
export const UNDERLAY_MTU = 1600;

export interface Underlay {
  /** A's underlay address (no prefix length), on A's br-phy: the remote_ip for tunnels from B to A. */
  aAddress: string;
  /** B's underlay address (no prefix length), on B's br-phy: the remote_ip for tunnels from A to B. */
  bAddress: string;
  /** The underlay /24, e.g. "198.19.1.0/24". */
  subnet: string;
  /** The veth end in A's namespace (a port of A's br-phy). */
  aPort: string;
  /** The veth end in B's namespace (a port of B's br-phy). */
  bPort: string;
  /** MTU of both veth ends. */
  mtu: number;
  /** Removes br-phy from both instances and the veth pair (and OVS routes this helper added). Idempotent. */
  close(): Promise<void>;
}

export interface UnderlayOptions {
  /** MTU of the underlay veth pair; default `UNDERLAY_MTU` (1600), so that 1500-byte inner packets fit. */
  mtu?: number;
}

let nextSubnet = 0;

/**
 * Joins two harness OVS instances by an underlay link: a veth pair, one end in each instance's namespace,
 * each end a port of a new `br-phy` bridge (userspace datapath, standalone: NORMAL) whose internal interface
 * holds the underlay address 198.19.<n>.1/24 (A) and .2/24 (B). Afterwards VXLAN ports with
 * `options:remote_ip` set to the other side's address carry traffic (see `addVxlanPort`).
 *
 * Answers only once the underlay works for tunnels: OVS's own routing table (`ovs-appctl ovs/route/show`)
 * has the /24 on br-phy on both sides, each namespace pings the other's underlay address, and each side's
 * tunnel neighbour cache (`tnl/neigh/show`) holds the other's br-phy MAC (seeded with `tnl/neigh/set`).
 * One underlay per instance: br-phy is a fixed name.
 */
export async function joinByUnderlay(a: OvsInstance, b: OvsInstance, options: UnderlayOptions = {}): Promise<Underlay> {
  const mtu = options.mtu ?? UNDERLAY_MTU;
  nextSubnet = (nextSubnet % 254) + 1;
  const n = nextSubnet;
  const subnet = `198.19.${n}.0/24`;
  const suffix = uniqueSuffix(8);
  const state: Array<{ ovs: OvsInstance; port: string; address: string; addedRoute: boolean }> = [
    { ovs: a, port: `ul${suffix}a`, address: `198.19.${n}.1`, addedRoute: false },
    { ovs: b, port: `ul${suffix}b`, address: `198.19.${n}.2`, addedRoute: false },
  ];
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const side of state) {
      if (side.addedRoute) await side.ovs.appctl('ovs/route/del', subnet).catch(() => undefined);
      await side.ovs.vsctl('--if-exists', 'del-br', UNDERLAY_BRIDGE).catch(() => undefined);
      // Deleting one end deletes its peer; whichever is still there (in its namespace or, if a move failed,
      // in the root namespace) goes.
      await side.ovs.namespace.exec('ip', ['link', 'del', side.port]).catch(() => undefined);
      await run('ip', ['link', 'del', side.port]).catch(() => undefined);
    }
  };

  try {
    await run('ip', ['link', 'add', state[0]!.port, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', state[1]!.port, 'mtu', String(mtu)]);
    for (const side of state) {
      await run('ip', ['link', 'set', side.port, 'netns', side.ovs.namespace.name]);
      await side.ovs.namespace.exec('ip', ['link', 'set', side.port, 'mtu', String(mtu), 'up']);
    }
    for (const side of state) {
      await side.ovs.addBridge(UNDERLAY_BRIDGE, { failMode: 'standalone' });
      await side.ovs.vsctl('add-port', UNDERLAY_BRIDGE, side.port);
      await side.ovs.ofportOf(side.port);
      // br-phy's internal interface is a tap that ovs-vswitchd made in its own namespace.
      await side.ovs.namespace.exec('ip', ['addr', 'add', `${side.address}/24`, 'dev', UNDERLAY_BRIDGE]);
      await side.ovs.namespace.exec('ip', ['link', 'set', UNDERLAY_BRIDGE, 'up']);
    }
    for (const side of state) {
      // OVS learns the connected route from the namespace's routing table over netlink; add it by hand if not.
      const learned = await waitFor(`OVS in ${side.ovs.namespace.name} to learn ${subnet}`, async () =>
        hasRoute(await side.ovs.appctl('ovs/route/show'), subnet) ? true : undefined, 3000, 100).catch(() => false);
      if (!learned) {
        await side.ovs.appctl('ovs/route/add', subnet, UNDERLAY_BRIDGE);
        side.addedRoute = true;
      }
    }
    // The underlay itself works: each namespace's kernel pings the other's address through both br-phys.
    for (const [side, other] of [[state[0]!, state[1]!], [state[1]!, state[0]!]] as const) {
      await waitFor(`${side.address} to reach ${other.address} across the underlay`, async () =>
        (await side.ovs.namespace.ping(other.address, 1, 1)) > 0 ? true : undefined, 10000, 100);
    }
    // The userspace datapath resolves a tunnel's next hop in its own neighbour cache (`tnl/neigh/show`), not
    // the kernel's. It fills it by snooping ARP replies delivered to br-phy's internal port, but only while
    // native tunnelling is on, i.e. once some tunnel port exists in the datapath: the ping above (before any
    // VXLAN port) teaches it nothing. Without an entry the first tunnelled packet is dropped while OVS sends
    // its own ARP request. So seed both caches with the other side's br-phy MAC; entries age out after
    // `tnl/neigh/aging` (900 s by default) of disuse, and once tunnel ports exist OVS re-learns by itself.
    for (const [side, other] of [[state[0]!, state[1]!], [state[1]!, state[0]!]] as const) {
      const { stdout } = await other.ovs.namespace.exec('cat', [`/sys/class/net/${UNDERLAY_BRIDGE}/address`]);
      await side.ovs.appctl('tnl/neigh/set', UNDERLAY_BRIDGE, other.address, stdout.trim());
      const neighbours = await side.ovs.appctl('tnl/neigh/show');
      if (!neighbours.split('\n').some((line) => line.trim().startsWith(`${other.address} `))) {
        throw new Error(`OVS in ${side.ovs.namespace.name} did not take ${other.address}'s MAC:\n${neighbours}`);
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { aAddress: state[0]!.address, bAddress: state[1]!.address, subnet, aPort: state[0]!.port, bPort: state[1]!.port, mtu, close };
}

/** Whether `ovs/route/show` output has a route for exactly `subnet` through br-phy. */
function hasRoute(routes: string, subnet: string): boolean {
  return routes.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields.includes(subnet) && fields.includes(UNDERLAY_BRIDGE);
  });
}

export interface VxlanPortOptions {
  /** VNI: `'flow'` (the default) takes it from the flow's tun_id; a number fixes it. */
  key?: 'flow' | number;
  ofportRequest?: number;
}

/**
 * Adds a VXLAN port `name` to `bridge` toward `remoteIp` (UDP 4789, key=flow unless told) and answers its
 * OpenFlow port number. Fails with OVS's own error when the interface cannot be made.
 */
export async function addVxlanPort(ovs: OvsInstance, bridge: string, name: string, remoteIp: string, options: VxlanPortOptions = {}): Promise<number> {
  const settings = ['type=vxlan', `options:remote_ip=${remoteIp}`, `options:key=${options.key ?? 'flow'}`];
  if (options.ofportRequest !== undefined) settings.push(`ofport_request=${options.ofportRequest}`);
  await ovs.vsctl('add-port', bridge, name, '--', 'set', 'Interface', name, ...settings);
  return waitFor(`an OpenFlow port number for ${name}`, async () => {
    const error = (await ovs.vsctl('get', 'Interface', name, 'error')).trim();
    if (error && error !== '[]') throw new Error(`VXLAN port ${name}: ${error}`);
    const ofport = Number((await ovs.vsctl('get', 'Interface', name, 'ofport')).trim());
    return ofport > 0 ? ofport : undefined;
  });
}
