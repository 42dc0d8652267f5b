/**
 * The flow compiler: from the chain model and the facts about ports (where they are bound, their MACs and
 * IPs, their network) to the flows and groups one switch should hold. Pure: no I/O, same input, same output.
 * The pipeline it targets is described in `pipeline.ts`.
 */
import type { Action, Bucket, Instruction, Match } from '../openflow/index.js';
import { multipath, portRangeToMasks, type MultipathFields } from '../openflow/index.js';
import type { ChainHop, ChainIntent, LoadBalanceField, PortRange, ServiceFunctionInstance, TrafficClassifier } from '../chains/model.js';
import { addFlow, emptySwitchState, type DesiredFlow, type SwitchState } from './desired.js';
import { cookieOf, groupIdOf, MAX_HOPS, MAX_INSTANCES_PER_HOP, mplsLabelOf, pathVni, PRIORITY, TABLE } from './pipeline.js';

/** What the compiler needs to know of a Neutron port. */
export interface PortFacts {
  id: string;
  networkId: string;
  macAddress: string;
  ipAddresses: readonly string[];
  /** The host the port is plugged on and its OpenFlow port number there; undefined while unplugged. */
  hostId: string | undefined;
  ofport: number | undefined;
  /** Neutron's port security: the port may only send frames from its own MAC. */
  portSecurity: boolean;
}

export interface CompileInput {
  hostId: string;
  chains: readonly ChainIntent[];
  ports: ReadonlyMap<string, PortFacts>;
  /** The metadata value that stands for a network on the bridge. */
  networkTags: ReadonlyMap<string, bigint>;
  /** Peer host id to the OpenFlow port number of this bridge's VXLAN tunnel to it. */
  tunnels?: ReadonlyMap<string, number>;
  /** The VNI a network's frames carry between hosts (its VLAN id or VXLAN segment); none: not carried. */
  networkVnis?: ReadonlyMap<string, number>;
}

/** Why a chain is not (fully) programmed on a switch: readable by an operator, in the inspection view. */
export interface ChainNotice {
  chainId: string;
  message: string;
}

export interface CompiledSwitch {
  state: SwitchState;
  notices: ChainNotice[];
}

const ETHERTYPE = { IPv4: 0x0800, IPv6: 0x86dd } as const;
const ETHERTYPE_MPLS = 0x8847;
/** Cookie detail of the balancing slots' flows (they belong to the chain, not to one hop's return). */
const BALANCE_SLOT = 0x7fff;
const BROADCAST: Match['eth_dst'] = { value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' };
const TRANSPORT_FIELDS: Readonly<Record<number, { src: 'tcp_src' | 'udp_src' | 'sctp_src'; dst: 'tcp_dst' | 'udp_dst' | 'sctp_dst' }>> = {
  6: { src: 'tcp_src', dst: 'tcp_dst' },
  17: { src: 'udp_src', dst: 'udp_dst' },
  132: { src: 'sctp_src', dst: 'sctp_dst' },
};
const FULL_MASK = 0xffffffffffffffffn;
/** Network tags are 48 bits; the top bit of the metadata marks frames that came in from a tunnel. */
const NETWORK_TAG_MASK = (1n << 48n) - 1n;
const FROM_TUNNEL = 1n << 63n;
/** Output actions per broadcast flow (16 bytes each, well inside one 64 KiB message), and tables to chain them over. */
const BROADCAST_CHUNK = 2048;
const BROADCAST_TABLES = 8;

interface BoundPort extends PortFacts {
  ofport: number;
}

/** A port bound on a peer host this bridge has a tunnel to. */
interface RemotePort extends PortFacts {
  hostId: string;
  tunnel: number;
}

/** The ports of every chain's service functions, primaries and backups. */
export function serviceFunctionPorts(chains: readonly ChainIntent[]): Set<string> {
  const ports = new Set<string>();
  for (const chain of chains) {
    for (const hop of chain.hops) {
      for (const instance of hop.instances) {
        ports.add(instance.ingressPort).add(instance.egressPort);
        if (instance.backup) ports.add(instance.backup.ingressPort).add(instance.backup.egressPort);
      }
    }
  }
  return ports;
}

/** The flows, groups and notices of one part of a switch's state: the base pipeline, or one chain. */
interface Fragment {
  key: string;
  state: SwitchState;
  notices: ChainNotice[];
}

/**
 * What the next compile of the same switch may reuse: a fragment whose inputs (the key: the chain and the
 * facts of every port it touches, or all ports for the base) did not change is kept as it is, objects and
 * all, so that the reconciler's comparison of unchanged flows is an identity check.
 */
export class CompileCache {
  base: Fragment | undefined;
  networks = new Map<string, Fragment>();
  chains = new Map<string, Fragment>();
}

export function compileSwitch(input: CompileInput, cache = new CompileCache()): CompiledSwitch {
  const compiler = new SwitchCompiler(input);
  const reuse = (cached: Fragment | undefined, key: string, build: () => void): Fragment => (cached?.key === key ? cached : compiler.capture(key, build));
  cache.base = reuse(cache.base, compiler.baseKey(), () => compiler.base());
  const fragments = [cache.base];
  const networks = new Map<string, Fragment>();
  for (const [networkId, tag] of input.networkTags) {
    const fragment = reuse(cache.networks.get(networkId), compiler.networkKey(networkId), () => compiler.network(networkId, tag));
    networks.set(networkId, fragment);
    fragments.push(fragment);
  }
  cache.networks = networks;
  const chains = new Map<string, Fragment>();
  for (const chain of [...input.chains].sort((a, b) => a.chainId - b.chainId)) {
    const fragment = reuse(cache.chains.get(chain.id), compiler.chainKey(chain), () => compiler.chain(chain));
    chains.set(chain.id, fragment);
    fragments.push(fragment);
  }
  cache.chains = chains;
  const state = emptySwitchState();
  for (const fragment of fragments) {
    for (const [key, flow] of fragment.state.flows) if (!state.flows.has(key)) state.flows.set(key, flow);
    for (const [groupId, group] of fragment.state.groups) if (!state.groups.has(groupId)) state.groups.set(groupId, group);
  }
  return { state, notices: fragments.flatMap((fragment) => fragment.notices) };
}

class SwitchCompiler {
  private state = emptySwitchState();
  private notices: ChainNotice[] = [];
  private readonly local: BoundPort[];
  private readonly localById: Map<string, BoundPort>;
  private readonly serviceFunctionPorts: Set<string>;
  private readonly members = new Map<string, BoundPort[]>();
  private readonly memberKeys = new Map<string, string>();
  private readonly remoteById = new Map<string, RemotePort>();

  constructor(private readonly input: CompileInput) {
    this.local = [...input.ports.values()]
      .filter((port): port is BoundPort => port.hostId === input.hostId && port.ofport !== undefined && input.networkTags.has(port.networkId))
      .sort((a, b) => a.ofport - b.ofport);
    this.localById = new Map(this.local.map((port) => [port.id, port]));
    for (const port of input.ports.values()) {
      const tunnel = port.hostId === undefined || port.hostId === input.hostId ? undefined : input.tunnels?.get(port.hostId);
      if (tunnel !== undefined && port.ofport !== undefined && input.networkTags.has(port.networkId)) this.remoteById.set(port.id, { ...port, hostId: port.hostId as string, tunnel });
    }
    this.serviceFunctionPorts = serviceFunctionPorts(input.chains);
  }

  /** Runs a build step into a fragment of its own. */
  capture(key: string, build: () => void): Fragment {
    this.state = emptySwitchState();
    this.notices = [];
    build();
    return { key, state: this.state, notices: this.notices };
  }

  /** Everything the per-port flows depend on: the facts of the ports bound here. */
  baseKey(): string {
    return [this.input.hostId, ...this.local.map((port) => `${portFactsKey(port)}=${this.tagOf(port)}`)].join('\n');
  }

  /** Everything a network's flows depend on: its tag and VNI, its ports here and on peers, which serve functions. */
  networkKey(networkId: string): string {
    const parts = [this.input.hostId, networkId, String(this.input.networkTags.get(networkId)), String(this.input.networkVnis?.get(networkId) ?? '')];
    for (const port of this.local) if (port.networkId === networkId) parts.push(`${portFactsKey(port)}|${this.serviceFunctionPorts.has(port.id) ? 'sf' : ''}`);
    for (const port of this.remoteById.values()) if (port.networkId === networkId) parts.push(`${portFactsKey(port)}|${port.tunnel}|${this.serviceFunctionPorts.has(port.id) ? 'sf' : ''}`);
    return parts.join('\n');
  }

  /** Everything one chain's flows depend on: the chain, its ports' facts and its entry ports. */
  chainKey(chain: ChainIntent): string {
    const ports = new Set<string>();
    for (const hop of chain.hops) {
      for (const instance of hop.instances) {
        ports.add(instance.ingressPort).add(instance.egressPort);
        if (instance.backup) ports.add(instance.backup.ingressPort).add(instance.backup.egressPort);
      }
    }
    const facts = [...ports].map((id) => {
      const port = this.input.ports.get(id);
      return port ? `${portFactsKey(port)}|${this.remoteById.get(id)?.tunnel ?? ''}` : id;
    });
    const directed = chain.classifiers.flatMap((classifier) => (chain.symmetric ? [classifier, reversedClassifier(classifier)] : [classifier]));
    return [this.input.hostId, JSON.stringify(chain), ...facts, ...directed.map((classifier) => this.entryKey(chain, classifier))].join('\n');
  }

  /** `entryPorts` as text; a network's member list is written once per compile, however many chains use it. */
  private entryKey(chain: ChainIntent, classifier: TrafficClassifier): string {
    if (classifier.logicalSourcePort !== undefined) {
      const port = this.localPort(classifier.logicalSourcePort);
      return port ? portFactsKey(port) : '';
    }
    const networkId = this.chainNetwork(chain);
    if (networkId === undefined) return '';
    let key = this.memberKeys.get(networkId);
    if (key === undefined) {
      key = this.membersOf(networkId).map(portFactsKey).join(',');
      this.memberKeys.set(networkId, key);
    }
    return key;
  }

  private chainNetwork(chain: ChainIntent): string | undefined {
    const firstIngress = chain.hops[0]?.instances[0]?.ingressPort;
    return firstIngress === undefined ? undefined : this.input.ports.get(firstIngress)?.networkId;
  }

  /** Delivery by known MACs for every bound port, and the way into it from each port. */
  base(): void {
    const cookie = cookieOf('base');
    this.add({ tableId: TABLE.ingress, priority: PRIORITY.miss, cookie, match: {}, instructions: [] });
    this.add({ tableId: TABLE.resolve, priority: PRIORITY.miss, cookie, match: {}, instructions: [] });
    this.add({ tableId: TABLE.deliver, priority: PRIORITY.miss, cookie, match: {}, instructions: [] });
    const delivery = cookieOf('delivery');
    for (const port of this.local) {
      const metadata = this.tagOf(port);
      // With port security a port only speaks from its own MAC: a transparent function plugged in but not
      // (yet) in a chain then cannot loop frames back into the network.
      this.add({
        tableId: TABLE.ingress,
        priority: PRIORITY.boundPort,
        cookie: delivery,
        match: port.portSecurity ? { in_port: port.ofport, eth_src: port.macAddress } : { in_port: port.ofport },
        instructions: [{ type: 'write_metadata', metadata, mask: FULL_MASK }, { type: 'goto_table', tableId: TABLE.deliver }],
      });
      this.add({
        tableId: TABLE.deliver,
        priority: PRIORITY.destination,
        cookie: delivery,
        match: { metadata: { value: metadata, mask: NETWORK_TAG_MASK }, eth_dst: port.macAddress },
        instructions: [apply([{ type: 'output', port: port.ofport }])],
      });
    }
  }

  /**
   * One network on this bridge: broadcast to its ports that are not service-function ports (and, for frames
   * of local ports, to the peer hosts that have ports of it), resolution of destination IPs after a chain,
   * delivery to its ports on peer hosts, and the way in for its frames arriving from tunnels.
   */
  network(networkId: string, metadata: bigint): void {
    const delivery = cookieOf('delivery');
    const members = this.membersOf(networkId);
    const vni = this.input.networkVnis?.get(networkId);
    const remote = vni === undefined ? [] : [...this.remoteById.values()].filter((port) => port.networkId === networkId);
    const remoteMembers = remote.filter((port) => !this.serviceFunctionPorts.has(port.id));
    const peerTunnels = [...new Set(remoteMembers.map((port) => port.tunnel))].sort((a, b) => a - b);
    if (vni !== undefined && (members.length > 0 || remote.length > 0)) {
      this.add({
        tableId: TABLE.ingress,
        priority: PRIORITY.boundPort,
        cookie: delivery,
        match: { tunnel_id: BigInt(vni) },
        instructions: [{ type: 'write_metadata', metadata: metadata | FROM_TUNNEL, mask: FULL_MASK }, { type: 'goto_table', tableId: TABLE.deliver }],
      });
    }
    const toPeers: Action[] = vni === undefined || peerTunnels.length === 0 ? [] : [{ type: 'set_field', field: 'tunnel_id', value: BigInt(vni) }, ...peerTunnels.map((port): Action => ({ type: 'output', port }))];
    this.broadcast(networkId, metadata, members, toPeers);
    // Frames from a tunnel are flooded to local ports only (split horizon): the sender reached every peer.
    if (toPeers.length > 0 && members.length > 0) this.broadcast(networkId, metadata | FROM_TUNNEL, members, []);
    for (const port of remote) {
      const viaTunnel: Action[] = [{ type: 'set_field', field: 'tunnel_id', value: BigInt(vni as number) }, { type: 'output', port: port.tunnel }];
      this.add({ tableId: TABLE.deliver, priority: PRIORITY.destination, cookie: delivery, match: { metadata, eth_dst: port.macAddress }, instructions: [apply(viaTunnel)] });
      if (!this.serviceFunctionPorts.has(port.id)) this.resolveTo(metadata, port, viaTunnel);
    }
    for (const port of members) this.resolveTo(metadata, port, [{ type: 'output', port: port.ofport }]);
  }

  /** Broadcast and multicast to local ports, then to peers; a large network continues over chained tables. */
  private broadcast(networkId: string, metadata: bigint, members: readonly BoundPort[], toPeers: readonly Action[]): void {
    if (members.length === 0 && toPeers.length === 0) return;
    // An OpenFlow message holds at most 64 KiB: a large network's broadcast continues in the next table.
    const chunks = Math.max(1, Math.min(Math.ceil(members.length / BROADCAST_CHUNK), BROADCAST_TABLES));
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      const outputs: Action[] = members.slice(chunk * BROADCAST_CHUNK, (chunk + 1) * BROADCAST_CHUNK).map((port) => ({ type: 'output', port: port.ofport }));
      const more = chunk + 1 < chunks ? [{ type: 'goto_table' as const, tableId: TABLE.broadcast + chunk }] : [];
      this.add({
        tableId: chunk === 0 ? TABLE.deliver : TABLE.broadcast + chunk - 1,
        priority: PRIORITY.broadcast,
        cookie: cookieOf('delivery'),
        match: { metadata, eth_dst: BROADCAST },
        instructions: [apply(chunk === 0 ? [...outputs, ...toPeers] : outputs), ...more],
      });
    }
    if (members.length > BROADCAST_CHUNK * BROADCAST_TABLES) {
      this.notices.push({ chainId: '', message: `network ${networkId} has ${members.length} ports on host ${this.input.hostId}: broadcasts reach the first ${BROADCAST_CHUNK * BROADCAST_TABLES}` });
    }
  }

  /** After a chain: the packet gets the MAC of the port that owns its destination IP, and goes there. */
  private resolveTo(metadata: bigint, port: PortFacts, delivery: Action[]): void {
    for (const address of port.ipAddresses) {
      const v6 = address.includes(':');
      this.add({
        tableId: TABLE.resolve,
        priority: PRIORITY.destination,
        cookie: cookieOf('resolve'),
        match: { metadata, eth_type: v6 ? ETHERTYPE.IPv6 : ETHERTYPE.IPv4, [v6 ? 'ipv6_dst' : 'ipv4_dst']: address },
        instructions: [apply([{ type: 'set_field', field: 'eth_dst', value: port.macAddress }, ...delivery])],
      });
    }
  }

  chain(chain: ChainIntent): void {
    // Group ids and labels hold 7 bits of hop and 8 of instance: a chain beyond them is not steered at all.
    if (chain.hops.length > MAX_HOPS || chain.hops.some((hop) => hop.instances.length > MAX_INSTANCES_PER_HOP)) {
      this.notices.push({ chainId: chain.id, message: `at most ${MAX_HOPS} hops of at most ${MAX_INSTANCES_PER_HOP} instances can be programmed` });
      return;
    }
    if (!this.direction(chain, 'forward')) return;
    if (chain.symmetric) this.direction(chain, 'reverse');
  }

  /**
   * The flows and groups of one direction of a chain: classification at the entry ports, then for every hop
   * the way back from its instances to the next hop or, after the last, to the destination. Reverse (the
   * replies of a symmetric chain) walks the hops backwards, entering each function by its egress port and
   * taking it back from its ingress port. False when a hop has no instance here (nothing is steered).
   */
  private direction(chain: ChainIntent, direction: Direction): boolean {
    const hops = directedHops(chain, direction);
    const steering = hops.map((hop, index) => this.steeringTo(chain, hop, index, direction));
    const missing = steering.findIndex((actions) => actions === undefined);
    if (missing >= 0) {
      this.notices.push({ chainId: chain.id, message: `hop ${(hops[missing] as DirectedHop).position + 1} has no service function instance bound on host ${this.input.hostId}` });
      return false;
    }
    const ethertypes = [...new Set(chain.classifiers.map((classifier) => ETHERTYPE[classifier.ethertype]))];
    const reverse = direction === 'reverse' ? REVERSE : 0;
    hops.forEach((hop, index) => {
      const next = steering[index + 1] ?? this.toDestination(hop);
      if (next === undefined) return;
      const groupHop = (direction === 'reverse' ? REVERSE_GROUP_HOP : 0) | index;
      for (const instance of hop.instances) {
        for (const exit of exitPortsOf(instance)) {
          const port = this.localPort(exit);
          if (!port) continue;
          const cookie = cookieOf('steer', chain.chainId, reverse | (index + 1));
          if (instance.mpls) {
            // The label says which packet this is; an MPLS packet carries no inner ethertype, the chain's is used.
            const match = { in_port: port.ofport, eth_type: ETHERTYPE_MPLS, mpls_label: mplsLabelOf(chain.chainId, groupHop) };
            this.add({ tableId: TABLE.ingress, priority: PRIORITY.fromServiceFunction, cookie, match, instructions: poppingLabel(next, ethertypes[0] ?? ETHERTYPE.IPv4) });
            continue;
          }
          for (const eth_type of ethertypes) {
            this.add({ tableId: TABLE.ingress, priority: PRIORITY.fromServiceFunction, cookie, match: { in_port: port.ofport, eth_type }, instructions: next });
          }
        }
      }
    });
    // A hop served here may be reached from a peer host: the tunnel key names the chain, direction and hop.
    hops.forEach((hop, index) => {
      if (!this.servesLocally(hop)) return;
      this.add({
        tableId: TABLE.ingress,
        priority: PRIORITY.fromServiceFunction,
        cookie: cookieOf('steer', chain.chainId, reverse | index),
        match: { tunnel_id: BigInt(pathVni(chain.chainId, index, direction === 'reverse')) },
        instructions: steering[index] as Instruction[],
      });
    });
    const first = steering[0] as Instruction[];
    for (const classifier of chain.classifiers) {
      const directed = direction === 'forward' ? classifier : reversedClassifier(classifier);
      for (const entry of this.entryPorts(chain, directed)) {
        for (const match of classifierMatches(directed)) {
          this.add({
            tableId: TABLE.ingress,
            priority: PRIORITY.classify,
            cookie: cookieOf('classify', chain.chainId, reverse),
            match: entry.portSecurity ? { in_port: entry.ofport, eth_src: entry.macAddress, ...match } : { in_port: entry.ofport, ...match },
            instructions: first,
          });
        }
      }
    }
    return true;
  }

  /**
   * How a packet is sent to a hop: straight to the one instance, through a FAST_FAILOVER group when it has a
   * standby, through a SELECT group (weighted buckets; Open vSwitch's default selection hashes the
   * symmetric 5-tuple, so each flow stays on one instance, and a reply, selected over the same buckets in
   * the reverse group, comes back through the same instance) when the hop has several instances.
   * Undefined when no instance of the hop is bound here.
   */
  private steeringTo(chain: ChainIntent, hop: DirectedHop, index: number, direction: Direction): Instruction[] | undefined {
    const groupHop = (direction === 'reverse' ? REVERSE_GROUP_HOP : 0) | index;
    const reachable = hop.instances.flatMap((instance, position) => {
      const actions = this.instanceActions(chain, groupHop, instance, position);
      return actions === undefined ? [] : [{ instance, actions }];
    });
    if (reachable.length === 0) {
      // No instance here: to the peer host of the first instance that has one, which steers on by itself.
      const remote = hop.instances.flatMap((instance) => [instance.entry, instance.backup?.entry]).map((id) => (id === undefined ? undefined : this.remoteById.get(id))).find((port) => port !== undefined);
      if (!remote) return undefined;
      return [apply([{ type: 'set_field', field: 'tunnel_id', value: BigInt(pathVni(chain.chainId, index, direction === 'reverse')) }, { type: 'output', port: remote.tunnel }])];
    }
    if (reachable.length === 1 && reachable[0]) return [apply(reachable[0].actions)];
    const groupId = groupIdOf(chain.chainId, groupHop, 0);
    if (hop.loadBalanceFields.length > 0) {
      const fields = multipathFieldsFor(hop.loadBalanceFields);
      if (fields) return this.balanceByFields(chain, groupId, fields, reachable);
      this.notices.push({ chainId: chain.id, message: `lb_fields ${hop.loadBalanceFields.join(',')} cannot be hashed by Open vSwitch over OpenFlow 1.3: hop ${hop.position + 1} balances on the 5-tuple` });
    }
    this.state.groups.set(groupId, {
      groupId,
      groupType: 'select',
      buckets: reachable.map(({ instance, actions }) => ({ weight: instance.weight, actions })),
    });
    return [apply([{ type: 'group', groupId }])];
  }

  /**
   * A hop balanced on the operator's `lb_fields`: OpenFlow 1.3 carries no select-group hash fields (OVS takes
   * `selection_method` in OpenFlow 1.5 only), so OVS's `multipath` hashes the fields into a register, and a
   * table of weighted slots maps the hash to an instance.
   */
  private balanceByFields(chain: ChainIntent, key: number, fields: MultipathFields, reachable: Array<{ instance: DirectedInstance; actions: Action[] }>): Instruction[] {
    const slots = weightedSlots(reachable.map(({ instance }) => instance.weight));
    slots.forEach((index, slot) => {
      this.add({
        tableId: TABLE.balance,
        priority: PRIORITY.destination,
        cookie: cookieOf('steer', chain.chainId, BALANCE_SLOT),
        match: { reg1: key, reg0: slot },
        instructions: [apply((reachable[index] as { actions: Action[] }).actions)],
      });
    });
    return [apply([{ type: 'set_field', field: 'reg1', value: key }, multipath(fields, slots.length, 0)]), { type: 'goto_table', tableId: TABLE.balance }];
  }

  private servesLocally(hop: DirectedHop): boolean {
    return hop.instances.some((instance) => this.localById.has(instance.entry) || (instance.backup !== undefined && this.localById.has(instance.backup.entry)));
  }

  private instanceActions(chain: ChainIntent, groupHop: number, instance: DirectedInstance, position: number): Action[] | undefined {
    const primary = this.localPort(instance.entry);
    const standby = instance.backup ? this.localPort(instance.backup.entry) : undefined;
    const label = instance.mpls ? mplsLabelOf(chain.chainId, groupHop) : undefined;
    if (!primary && !standby) return undefined;
    if (!standby || standby.id === primary?.id) return primary ? sendTo(primary, label) : undefined;
    if (!primary) return sendTo(standby, label);
    const groupId = groupIdOf(chain.chainId, groupHop, position + 1);
    const buckets: Bucket[] = [primary, standby].map((port) => ({ watchPort: port.ofport, actions: sendTo(port, label) }));
    this.state.groups.set(groupId, { groupId, groupType: 'fast_failover', buckets });
    return [{ type: 'group', groupId }];
  }

  /** After the last hop: to the owner of the destination IP on the network the last SF sends into. */
  private toDestination(lastHop: DirectedHop): Instruction[] | undefined {
    const egress = lastHop.instances.map((instance) => this.localPort(instance.exit)).find((port) => port !== undefined);
    if (!egress) return undefined;
    return [{ type: 'write_metadata', metadata: this.tagOf(egress), mask: FULL_MASK }, { type: 'goto_table', tableId: TABLE.resolve }];
  }

  /** The logical source port when the classifier names one, else the network's non-SF ports bound here. */
  private entryPorts(chain: ChainIntent, classifier: TrafficClassifier): BoundPort[] {
    if (classifier.logicalSourcePort !== undefined) {
      const port = this.localPort(classifier.logicalSourcePort);
      return port ? [port] : [];
    }
    const networkId = this.chainNetwork(chain);
    return networkId === undefined ? [] : this.membersOf(networkId);
  }

  /** The network's bound ports here that are not service-function ports. */
  private membersOf(networkId: string): BoundPort[] {
    let members = this.members.get(networkId);
    if (!members) {
      members = this.local.filter((port) => port.networkId === networkId && !this.serviceFunctionPorts.has(port.id));
      this.members.set(networkId, members);
    }
    return members;
  }

  private localPort(portId: string): BoundPort | undefined {
    return this.localById.get(portId);
  }

  private tagOf(port: PortFacts): bigint {
    return this.input.networkTags.get(port.networkId) ?? 0n;
  }

  private add(flow: DesiredFlow): void {
    addFlow(this.state, flow);
  }
}

function portFactsKey(port: PortFacts): string {
  return `${port.id}@${port.hostId ?? ''}:${port.ofport ?? ''}:${port.networkId}:${port.macAddress}:${port.ipAddresses.join(' ')}:${port.portSecurity}`;
}

function apply(actions: Action[]): Instruction {
  return { type: 'apply_actions', actions };
}

/** A service function receives frames addressed to its own port, so that router-like SFs accept them. */
function sendTo(port: BoundPort, mplsLabel?: number): Action[] {
  const label: Action[] = mplsLabel === undefined ? [] : [{ type: 'push_mpls', ethertype: ETHERTYPE_MPLS }, { type: 'set_field', field: 'mpls_label', value: mplsLabel }];
  return [...label, { type: 'set_field', field: 'eth_dst', value: port.macAddress }, { type: 'output', port: port.ofport }];
}

/** Back from an MPLS-aware function: the label goes, then the packet is steered on. */
function poppingLabel(next: Instruction[], ethertype: number): Instruction[] {
  const pop: Action = { type: 'pop_mpls', ethertype };
  const [first, ...rest] = next;
  if (first?.type === 'apply_actions') return [apply([pop, ...first.actions]), ...rest];
  return [apply([pop]), ...next];
}

type Direction = 'forward' | 'reverse';

/** Marks reverse-direction flows in the cookie's detail, and reverse groups in the group id's hop field. */
export const REVERSE = 0x8000;
const REVERSE_GROUP_HOP = 0x80;

/** A service function instance as one direction sees it: where packets are sent in, where they come back. */
interface DirectedInstance {
  id: string;
  weight: number;
  mpls: boolean;
  entry: string;
  exit: string;
  backup: { entry: string; exit: string } | undefined;
}

interface DirectedHop {
  /** The hop's index in the chain's own (forward) order. */
  position: number;
  loadBalanceFields: readonly LoadBalanceField[];
  instances: DirectedInstance[];
}

function directedHops(chain: ChainIntent, direction: Direction): DirectedHop[] {
  const hops = chain.hops.map((hop: ChainHop, position): DirectedHop => ({
    position,
    loadBalanceFields: direction === 'forward' ? hop.loadBalanceFields : hop.loadBalanceFields.map(reversedField),
    instances: hop.instances.map((instance: ServiceFunctionInstance) =>
      direction === 'forward'
        ? { id: instance.id, weight: instance.weight, mpls: instance.mpls === true, entry: instance.ingressPort, exit: instance.egressPort, backup: instance.backup && { entry: instance.backup.ingressPort, exit: instance.backup.egressPort } }
        : { id: instance.id, weight: instance.weight, mpls: instance.mpls === true, entry: instance.egressPort, exit: instance.ingressPort, backup: instance.backup && { entry: instance.backup.egressPort, exit: instance.backup.ingressPort } },
    ),
  }));
  return direction === 'forward' ? hops : hops.reverse();
}

function exitPortsOf(instance: DirectedInstance): string[] {
  return instance.backup && instance.backup.exit !== instance.exit ? [instance.exit, instance.backup.exit] : [instance.exit];
}

/** Slot count for weighted multipath balancing: weights are scaled down to fit. */
const MAX_SLOTS = 64;

/** Instance index per slot, each instance taking slots in proportion to its weight (at least one). */
function weightedSlots(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const scale = total > MAX_SLOTS ? MAX_SLOTS / total : 1;
  return weights.flatMap((weight, index) => Array.from({ length: Math.max(1, Math.round(weight * scale)) }, () => index));
}

/**
 * The hash OVS can compute that depends on no field outside `lb_fields` (so packets agreeing on them stay
 * on one instance), covering as many of them as possible. The 4-tuple hash also covers the IP protocol.
 */
function multipathFieldsFor(fields: readonly LoadBalanceField[]): MultipathFields | undefined {
  const has = (...wanted: LoadBalanceField[]): boolean => wanted.every((field) => fields.includes(field));
  if (has('ip_src', 'ip_dst', 'tp_src', 'tp_dst')) return 'symmetric_l3l4+udp';
  if (has('ip_src', 'ip_dst')) return 'symmetric_l3';
  if (has('ip_src')) return 'nw_src';
  if (has('ip_dst')) return 'nw_dst';
  if (has('eth_src')) return 'eth_src';
  return undefined;
}

/** A reply's source is the request's destination. */
function reversedField(field: LoadBalanceField): LoadBalanceField {
  const swapped: Partial<Record<LoadBalanceField, LoadBalanceField>> = { ip_src: 'ip_dst', ip_dst: 'ip_src', tp_src: 'tp_dst', tp_dst: 'tp_src', eth_src: 'eth_dst', eth_dst: 'eth_src' };
  return swapped[field] ?? field;
}

/** The replies a classifier's traffic gets: sources and destinations swapped. */
function reversedClassifier(classifier: TrafficClassifier): TrafficClassifier {
  return {
    ...classifier,
    sourcePrefix: classifier.destinationPrefix,
    destinationPrefix: classifier.sourcePrefix,
    sourcePorts: classifier.destinationPorts,
    destinationPorts: classifier.sourcePorts,
    logicalSourcePort: classifier.logicalDestinationPort,
    logicalDestinationPort: classifier.logicalSourcePort,
  };
}

/** The OpenFlow matches one classifier expands to: one per combination of masked port blocks. */
export function classifierMatches(classifier: TrafficClassifier): Match[] {
  const base: Match = { eth_type: ETHERTYPE[classifier.ethertype] };
  const v6 = classifier.ethertype === 'IPv6';
  if (classifier.sourcePrefix !== undefined) base[v6 ? 'ipv6_src' : 'ipv4_src'] = classifier.sourcePrefix;
  if (classifier.destinationPrefix !== undefined) base[v6 ? 'ipv6_dst' : 'ipv4_dst'] = classifier.destinationPrefix;
  const hasPorts = classifier.sourcePorts.length > 0 || classifier.destinationPorts.length > 0;
  if (!hasPorts) return [classifier.protocol === undefined ? base : { ...base, ip_proto: classifier.protocol }];
  // Ports without a protocol mean the same ports of TCP and of UDP.
  const protocols = classifier.protocol === undefined ? [6, 17] : [classifier.protocol];
  return protocols.flatMap((protocol) => {
    const fields = TRANSPORT_FIELDS[protocol];
    if (!fields) return [{ ...base, ip_proto: protocol }];
    const sources = maskedBlocks(classifier.sourcePorts);
    const destinations = maskedBlocks(classifier.destinationPorts);
    return sources.flatMap((source) =>
      destinations.map((destination) => {
        const match: Match = { ...base, ip_proto: protocol };
        if (source) match[fields.src] = source;
        if (destination) match[fields.dst] = destination;
        return match;
      }),
    );
  });
}

type PortBlock = { value: number; mask: number } | number | undefined;

/** Port ranges as value/mask blocks; `[undefined]` when there is no range (any port). */
function maskedBlocks(ranges: readonly PortRange[]): PortBlock[] {
  if (ranges.length === 0) return [undefined];
  const blocks = ranges.flatMap((range) => {
    const masks = portRangeToMasks(range.min, range.max);
    if (masks.length === 0) return [undefined];
    return masks.map((block) => (block.mask === 0xffff ? block.value : block));
  });
  return blocks.includes(undefined) ? [undefined] : blocks;
}
