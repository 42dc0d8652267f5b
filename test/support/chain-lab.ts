import { run, uniqueSuffix } from './command.js';
import { NetworkNamespace } from './netns.js';
import { isAlive } from './sweep.js';
import type { OvsInstance } from './ovs.js';
import { interfaceCounters, type InterfaceCounters } from './traffic.js';

/** One veth between a lab namespace and the bridge. */
export interface LabPort {
  /** The interface inside the lab namespace. */
  interfaceName: string;
  /** The OVS port (the veth end in the switch's namespace), with `external_ids:iface-id=<ifaceId>`. */
  ovsPort: string;
  ofport: number;
  mac: string;
  ifaceId: string;
}

export interface LabEndpoint extends LabPort {
  name: string;
  namespace: NetworkNamespace;
  /** As given, with prefix length: "198.18.0.1/24". */
  cidr: string;
  /** Without prefix length: "198.18.0.1". */
  ip: string;
}

export interface Neighbour {
  ip: string;
  mac: string;
}

export interface EndpointOptions {
  mac: string;
  /** CIDR, e.g. "198.18.0.1/24": the address and its on-link subnet. */
  ip: string;
  /** Written to the OVS interface as `external_ids:iface-id`, as Nova does for a Neutron port. */
  ifaceId: string;
  /** Default route via this address. */
  gateway?: string;
  /** No default route: only the on-link subnet is reachable. The default unless `gateway` is given. */
  gatewayless?: boolean;
  /** Static (permanent) ARP entries, e.g. to send to an off-path MAC or to run with no ARP at all. */
  neighbours?: Neighbour[];
}

/** Per direction of a two-legged function: forward enters on ingress and leaves by egress, reverse the other way. */
export interface FunctionCounters {
  ingress: InterfaceCounters;
  egress: InterfaceCounters;
  /** Frames that entered the ingress interface / left by the egress interface. */
  forward: { received: number; sent: number };
  /** Frames that entered the egress interface / left by the ingress interface. */
  reverse: { received: number; sent: number };
}

export interface TransparentFunction {
  name: string;
  namespace: NetworkNamespace;
  ingress: LabPort;
  egress: LabPort;
  counters(): Promise<FunctionCounters & { redirected: { forward: number; reverse: number } }>;
}

export interface RouterLeg {
  mac: string;
  /** CIDR; both legs may share one subnet (see `routerFunction`). */
  ip: string;
  ifaceId: string;
}

export interface RouterRoute {
  /** CIDR or a bare address (a host route). */
  destination: string;
  via: 'ingress' | 'egress';
  /** Next hop; without it the destination is on-link and its own address needs a neighbour entry. */
  gateway?: string;
}

export interface RouterFunction {
  name: string;
  namespace: NetworkNamespace;
  ingress: LabPort & { cidr: string; ip: string };
  egress: LabPort & { cidr: string; ip: string };
  counters(): Promise<FunctionCounters>;
}

/**
 * Endpoints and service functions as network namespaces plugged into a bridge of a harness Open vSwitch.
 * The lab only plugs ports in: it installs no flows, so the bridge may be standalone (NORMAL) or secure
 * and programmed by a controller. Every interface is a veth created directly between the lab namespace and
 * the switch's namespace (never in the root namespace), so a crashed run leaves nothing the sweep misses:
 * lab namespaces carry the harness's pid-owned `nfvt-<pid>-` names and the OVS-side ends die with the OVS
 * instance's namespace.
 *
 * Offloads: TX checksumming (and with it TSO/GSO) is off on every lab interface. The userspace datapath
 * reads frames from the OVS-side veth with a raw socket, and a frame sent with checksum offload still
 * carries a partial checksum there, which the receiving side then rejects.
 */
export class ChainLab {
  private readonly namespaces: NetworkNamespace[] = [];
  private readonly ports: string[] = [];
  private closed = false;

  constructor(
    readonly ovs: OvsInstance,
    readonly bridge: string,
  ) {}

  /** A host: one interface `eth0` with exactly `mac` and `ip`. */
  async endpoint(name: string, options: EndpointOptions): Promise<LabEndpoint> {
    if (options.gateway && options.gatewayless) throw new Error(`endpoint ${name}: a gateway and gatewayless at once`);
    const namespace = await this.namespace(name);
    const port = await this.plug(namespace, 'eth0', options.mac, options.ifaceId);
    await namespace.exec('ip', ['addr', 'add', options.ip, 'dev', 'eth0']);
    if (options.gateway) await namespace.exec('ip', ['route', 'add', 'default', 'via', options.gateway, 'dev', 'eth0']);
    for (const neighbour of options.neighbours ?? []) await addNeighbour(namespace, 'eth0', neighbour);
    return { ...port, name, namespace, cidr: options.ip, ip: bareAddress(options.ip) };
  }

  /**
   * An L2 bump in the wire: every frame entering `in0` leaves `out0` byte for byte, and the other way round.
   * Done with a `tc` ingress filter on each interface (u32 match-all, `mirred egress redirect` to the other):
   * the frame never enters the namespace's stack, so nothing is learned, answered, aged or rewritten, and
   * with no addresses and IPv6 off the namespace never sends a frame of its own. (A Linux bridge would also
   * forward, but it drops link-local group addresses and, learning, could hold frames back; the kernel here
   * has no `matchall` classifier, hence `u32 match u32 0 0`.)
   */
  async transparentFunction(
    name: string,
    options: { ingress: { mac: string; ifaceId: string }; egress: { mac: string; ifaceId: string } },
  ): Promise<TransparentFunction> {
    const namespace = await this.namespace(name);
    const ingress = await this.plug(namespace, 'in0', options.ingress.mac, options.ingress.ifaceId);
    const egress = await this.plug(namespace, 'out0', options.egress.mac, options.egress.ifaceId);
    for (const [from, to] of [['in0', 'out0'], ['out0', 'in0']] as const) {
      await namespace.exec('tc', ['qdisc', 'add', 'dev', from, 'ingress']);
      await namespace.exec('tc', ['filter', 'add', 'dev', from, 'ingress', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', to]);
    }
    return {
      name,
      namespace,
      ingress,
      egress,
      counters: async () => ({
        ...(await functionCounters(namespace)),
        redirected: { forward: await redirectedPackets(namespace, 'in0'), reverse: await redirectedPackets(namespace, 'out0') },
      }),
    };
  }

  /**
   * An L3 hop: forwards a packet addressed (by MAC) to either leg along its routes, decrementing the TTL and
   * rewriting the MACs, as a router or a routed firewall would. Assumptions, so that no ARP is ever needed
   * and two legs in one subnet do not clash:
   * - both addresses are added with `noprefixroute`: there is no connected route at all, only `routes`;
   * - a route without `gateway` is on-link: its destination (a host, normally) must be in `neighbours` for
   *   that leg; with a gateway, the gateway must be;
   * - neighbours are permanent entries, so the router never ARPs; it still answers ARP for a leg's own
   *   address on that leg only (arp_ignore=1), so hosts may resolve it as a gateway;
   * - ip_forward=1, rp_filter=0 (sources arrive on whichever leg the chain steers them to), and no ICMP
   *   redirects are sent or accepted.
   */
  async routerFunction(
    name: string,
    options: { ingress: RouterLeg; egress: RouterLeg; routes: RouterRoute[]; neighbours: Array<Neighbour & { via: 'ingress' | 'egress' }> },
  ): Promise<RouterFunction> {
    const namespace = await this.namespace(name);
    const interfaces = { ingress: 'in0', egress: 'out0' } as const;
    const legs = {} as Record<'ingress' | 'egress', LabPort & { cidr: string; ip: string }>;
    for (const leg of ['ingress', 'egress'] as const) {
      const port = await this.plug(namespace, interfaces[leg], options[leg].mac, options[leg].ifaceId);
      await namespace.exec('ip', ['addr', 'add', options[leg].ip, 'dev', interfaces[leg], 'noprefixroute']);
      legs[leg] = { ...port, cidr: options[leg].ip, ip: bareAddress(options[leg].ip) };
    }
    const sysctls = ['net.ipv4.ip_forward=1'];
    for (const scope of ['all', 'default', 'in0', 'out0']) {
      sysctls.push(`net.ipv4.conf.${scope}.rp_filter=0`, `net.ipv4.conf.${scope}.send_redirects=0`, `net.ipv4.conf.${scope}.accept_redirects=0`);
      sysctls.push(`net.ipv4.conf.${scope}.arp_ignore=1`, `net.ipv4.conf.${scope}.arp_announce=2`);
    }
    await namespace.exec('sysctl', ['-qw', ...sysctls]);
    for (const neighbour of options.neighbours) await addNeighbour(namespace, interfaces[neighbour.via], neighbour);
    for (const route of options.routes) {
      // `onlink`: the gateway needs no connected route, which `noprefixroute` left out on purpose.
      const nextHop = route.gateway ? ['via', route.gateway, 'dev', interfaces[route.via], 'onlink'] : ['dev', interfaces[route.via]];
      await namespace.exec('ip', ['route', 'add', route.destination, ...nextHop]);
    }
    return { name, namespace, ingress: legs.ingress, egress: legs.egress, counters: () => functionCounters(namespace) };
  }

  /** Names of every namespace the lab made and still holds. */
  get namespaceNames(): string[] {
    return this.namespaces.map((namespace) => namespace.name);
  }

  /** OVS ports the lab added and still holds. */
  get ovsPorts(): string[] {
    return [...this.ports];
  }

  /**
   * Removes the lab's OVS ports and namespaces. Processes still running inside a lab namespace (a
   * forgotten traffic agent or capture) would keep it alive after `ip netns del`, so they are killed first,
   * by pid: only the lab's own namespaces are searched, and only the tests start processes there.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Deleting a namespace frees its interfaces only when the kernel gets round to it (and never while a
    // process still runs inside): the veths are deleted by name, which removes both ends at once.
    for (const port of this.ports.splice(0)) {
      await this.ovs.vsctl('--if-exists', 'del-port', this.bridge, port).catch(() => undefined);
      await this.ovs.namespace.exec('ip', ['link', 'del', port]).catch(() => undefined);
    }
    for (const namespace of this.namespaces.splice(0)) {
      const pids = await run('ip', ['netns', 'pids', namespace.name]).then(
        ({ stdout }) => stdout.split('\n').map(Number).filter((pid) => Number.isInteger(pid) && pid > 0),
        () => [],
      );
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (let waited = 0; waited < 3000 && pids.some(isAlive); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      await namespace.delete();
    }
  }

  private async namespace(name: string): Promise<NetworkNamespace> {
    if (this.closed) throw new Error('the chain lab is closed');
    const namespace = await NetworkNamespace.create(name);
    this.namespaces.push(namespace);
    return namespace;
  }

  /**
   * A veth pair made in place (`ip link add ... netns A type veth peer ... netns B`): one end `interfaceName`
   * in the lab namespace with exactly `mac`, the other a port of the bridge tagged with `ifaceId`.
   */
  private async plug(namespace: NetworkNamespace, interfaceName: string, mac: string, ifaceId: string): Promise<LabPort> {
    const ovsPort = `lab${uniqueSuffix(8)}`;
    await run('ip', ['link', 'add', 'name', ovsPort, 'netns', this.ovs.namespace.name, 'type', 'veth', 'peer', 'name', interfaceName, 'netns', namespace.name, 'address', mac]);
    this.ports.push(ovsPort);
    await this.ovs.namespace.exec('ethtool', ['-K', ovsPort, 'tx', 'off']);
    await this.ovs.namespace.exec('ip', ['link', 'set', ovsPort, 'up']);
    await namespace.exec('ethtool', ['-K', interfaceName, 'tx', 'off']);
    await namespace.exec('ip', ['link', 'set', interfaceName, 'up']);
    await this.ovs.vsctl(
      'add-port', this.bridge, ovsPort,
      '--', 'set', 'Interface', ovsPort, `external_ids:iface-id=${ifaceId}`, `external_ids:attached-mac=${mac}`, 'external_ids:iface-status=active',
    );
    const { stdout } = await namespace.exec('cat', [`/sys/class/net/${interfaceName}/address`]);
    if (stdout.trim() !== mac.toLowerCase()) throw new Error(`${interfaceName} in ${namespace.name} has MAC ${stdout.trim()}, not ${mac}`);
    return { interfaceName, ovsPort, ofport: await this.ovs.ofportOf(ovsPort), mac: mac.toLowerCase(), ifaceId };
  }
}

function bareAddress(cidr: string): string {
  return cidr.split('/')[0]!;
}

async function addNeighbour(namespace: NetworkNamespace, iface: string, neighbour: Neighbour): Promise<void> {
  await namespace.exec('ip', ['neigh', 'replace', neighbour.ip, 'lladdr', neighbour.mac, 'dev', iface, 'nud', 'permanent']);
}

async function functionCounters(namespace: NetworkNamespace): Promise<FunctionCounters> {
  const ingress = await interfaceCounters(namespace, 'in0');
  const egress = await interfaceCounters(namespace, 'out0');
  return {
    ingress,
    egress,
    forward: { received: ingress.rxPackets, sent: egress.txPackets },
    reverse: { received: egress.rxPackets, sent: ingress.txPackets },
  };
}

/** Packets the `mirred` action on `iface`'s ingress filter has redirected, from `tc -s -j filter show`. */
async function redirectedPackets(namespace: NetworkNamespace, iface: string): Promise<number> {
  const { stdout } = await namespace.exec('tc', ['-s', '-j', 'filter', 'show', 'dev', iface, 'ingress']);
  const filters = JSON.parse(stdout) as Array<{ options?: { actions?: Array<{ kind: string; stats?: { packets?: number } }> } }>;
  let packets = 0;
  for (const filter of filters) for (const action of filter.options?.actions ?? []) if (action.kind === 'mirred') packets += action.stats?.packets ?? 0;
  return packets;
}
