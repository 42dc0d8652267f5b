/**
 * A pure OpenFlow 1.3 pipeline interpreter over a desired switch state: given an ingress port and a packet,
 * which flows and group buckets it goes through and where it leaves, with which headers. It backs the trace
 * endpoint; it reads only `SwitchState` and never talks to a switch.
 *
 * Modelled: table lookup by priority, masked and CIDR matches on the fields a `TracePacket` carries, the
 * instruction order of OpenFlow 1.3.5 section 5.9 (apply, clear, write actions, write metadata, goto), the
 * action set at the end of the pipeline, `set_field`, `output` and `group` (all, select, indirect,
 * fast_failover). Other actions (VLAN/MPLS pushes, TTLs, queues, experimenter) do not change what this
 * packet model holds and are passed over.
 */
import type { Action, Bucket, GroupType, Instruction, Match, MatchValue, OxmName, OxmValue } from '../openflow/index.js';
import { NICIRA_VENDOR, OXM_FIELDS, RESERVED_PORTS, type PortNumber } from '../openflow/index.js';
import { formatIpv6, formatMac, parseIpv4, type OxmFormat } from '../openflow/oxm.js';
import type { DesiredFlow, DesiredGroup, SwitchState } from './desired.js';

export interface TracePacket {
  /** OpenFlow port number the packet enters on. */
  inPort: number;
  ethSrc: string;
  ethDst: string;
  /** 0x0800, 0x86dd, 0x0806, ... */
  ethType: number;
  ipProto?: number;
  /** IPv4 or IPv6 text, per `ethType`. */
  ipSrc?: string;
  ipDst?: string;
  /** TCP, UDP or SCTP ports, per `ipProto`. */
  srcPort?: number;
  dstPort?: number;
  /** The pipeline metadata; 0 when absent, as at the start of an OpenFlow pipeline. */
  metadata?: bigint;
  /** The tunnel key it arrived with, or is to leave with; 0 when absent. */
  tunnelId?: bigint;
  /** Open vSwitch's registers reg0-reg7 by number; 0 when absent. */
  registers?: Readonly<Record<number, bigint>>;
}

export type TraceStep =
  | { kind: 'flow'; tableId: number; priority: number; cookie: bigint; match: Match; instructions: Instruction[] }
  /** `bucket` is the index of the bucket taken, -1 when the group had none to take (the packet stops there). */
  | { kind: 'group'; groupId: number; groupType: GroupType; bucket: number; buckets: number }
  | { kind: 'miss'; tableId: number };

export interface TraceOutput {
  /** The port number, or a reserved port's number (`RESERVED_PORTS`) for controller, local, normal, flood, all. */
  port: number;
  /** The packet as it leaves, after the `set_field` actions before this output. */
  packet: TracePacket;
}

export interface TraceResult {
  steps: TraceStep[];
  outputs: TraceOutput[];
  /** True when the packet leaves on no port. */
  dropped: boolean;
}

export interface TraceOptions {
  /**
   * The bucket index a SELECT group picks for a packet. The default is a deterministic hash of the 5-tuple
   * over the live buckets' weights: it is stable, but it is not the switch's own hash (Open vSwitch hashes
   * with its own function and basis; by default it even picks by the datapath's dp_hash, after a
   * recirculation), so the switch may well pick another bucket for the same packet. Return -1 for none.
   */
  selectBucket?: (group: DesiredGroup, packet: TracePacket) => number;
  /** Whether a watched port is up, for FAST_FAILOVER (and dead buckets of SELECT). Default: every port is. */
  liveness?: (port: number) => boolean;
}

/** At most this many steps (flows, groups, misses) in one trace; beyond it the packet is dropped. */
export const MAX_TRACE_STEPS = 64;
/** At most this many groups inside one another. */
export const MAX_GROUP_DEPTH = 8;

const ETH_TYPE_IPV4 = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const PORT_FIELDS_BY_PROTOCOL: Readonly<Record<number, readonly [OxmName, OxmName]>> = {
  6: ['tcp_src', 'tcp_dst'],
  17: ['udp_src', 'udp_dst'],
  132: ['sctp_src', 'sctp_dst'],
};
const NO_PORT = RESERVED_PORTS.any;

/** Where the pipeline stopped early: like Open vSwitch's translation errors, the whole packet is dropped. */
class TraceAborted extends Error {}

export function traceSwitch(state: SwitchState, packet: TracePacket, options: TraceOptions = {}): TraceResult {
  const tracer = new Tracer(state, options);
  try {
    tracer.run({ ...packet });
  } catch (error) {
    if (!(error instanceof TraceAborted)) throw error;
    tracer.outputs.length = 0;
  }
  return { steps: tracer.steps, outputs: tracer.outputs, dropped: tracer.outputs.length === 0 };
}

class Tracer {
  readonly steps: TraceStep[] = [];
  readonly outputs: TraceOutput[] = [];
  private readonly tables = new Map<number, DesiredFlow[]>();

  constructor(
    private readonly state: SwitchState,
    private readonly options: TraceOptions,
  ) {
    for (const flow of state.flows.values()) {
      const table = this.tables.get(flow.tableId) ?? [];
      table.push(flow);
      this.tables.set(flow.tableId, table);
    }
    // Stable sort: among equal priorities (which OpenFlow leaves undefined) the first added wins.
    for (const table of this.tables.values()) table.sort((a, b) => b.priority - a.priority);
  }

  run(packet: TracePacket): void {
    const actionSet = new Map<string, Action>();
    let tableId: number | undefined = 0;
    while (tableId !== undefined) {
      const flow = this.tables.get(tableId)?.find((candidate) => flowMatches(candidate.match, packet));
      if (!flow) {
        this.record({ kind: 'miss', tableId });
        return;
      }
      this.record({ kind: 'flow', tableId, priority: flow.priority, cookie: flow.cookie, match: flow.match, instructions: flow.instructions });
      tableId = this.execute(flow.instructions, packet, actionSet);
    }
    this.executeActionSet(actionSet, packet);
  }

  /** One flow's instructions in the order OpenFlow prescribes, whatever their order in the list; the next table, if any. */
  private execute(instructions: readonly Instruction[], packet: TracePacket, actionSet: Map<string, Action>): number | undefined {
    for (const instruction of instructions) if (instruction.type === 'apply_actions') this.applyActions(instruction.actions, packet, 0);
    if (instructions.some((instruction) => instruction.type === 'clear_actions')) actionSet.clear();
    for (const instruction of instructions) {
      if (instruction.type !== 'write_actions') continue;
      for (const action of instruction.actions) actionSet.set(action.type === 'set_field' ? `set_field:${action.field}` : action.type, action);
    }
    for (const instruction of instructions) {
      if (instruction.type === 'write_metadata') {
        const metadata = packet.metadata ?? 0n;
        packet.metadata = (metadata & ~instruction.mask) | (instruction.metadata & instruction.mask);
      }
    }
    let next: number | undefined;
    for (const instruction of instructions) if (instruction.type === 'goto_table') next = instruction.tableId;
    return next;
  }

  /** The action set at the end of the pipeline: set-fields, then the group, else the output (OpenFlow 1.3.5 5.10). */
  private executeActionSet(actionSet: Map<string, Action>, packet: TracePacket): void {
    const ordered: Action[] = [];
    for (const action of actionSet.values()) if (action.type === 'set_field') ordered.push(action);
    const group = actionSet.get('group');
    const output = actionSet.get('output');
    if (group) ordered.push(group);
    else if (output) ordered.push(output);
    this.applyActions(ordered, packet, 0);
  }

  private applyActions(actions: readonly Action[], packet: TracePacket, groupDepth: number): void {
    for (const action of actions) {
      switch (action.type) {
        case 'set_field':
          setField(packet, action.field, action.value);
          break;
        case 'output':
          this.output(action.port, packet);
          break;
        case 'group':
          this.group(typeof action.groupId === 'number' ? action.groupId : -1, packet, groupDepth + 1);
          break;
        case 'experimenter': {
          const choice = multipathChoice(action, packet);
          if (choice) packet.registers = { ...packet.registers, [choice.register]: BigInt(choice.link) };
          break;
        }
        default:
          break;
      }
    }
  }

  private output(port: PortNumber, packet: TracePacket): void {
    const number = typeof port === 'number' ? port : RESERVED_PORTS[port];
    if (number === RESERVED_PORTS.in_port) {
      this.outputs.push({ port: packet.inPort, packet: { ...packet } });
    } else if (number !== packet.inPort) {
      // OpenFlow never sends a packet back out of its ingress port unless asked to with IN_PORT.
      this.outputs.push({ port: number, packet: { ...packet } });
    }
  }

  /** Every bucket works on its own copy of the packet, as Open vSwitch does for every group type. */
  private group(groupId: number, packet: TracePacket, depth: number): void {
    if (depth > MAX_GROUP_DEPTH) throw new TraceAborted();
    const group = this.state.groups.get(groupId);
    // A switch refuses a flow that names a missing group; here the packet just goes no further.
    if (!group) return;
    const take = (bucket: number): void => {
      this.record({ kind: 'group', groupId, groupType: group.groupType, bucket, buckets: group.buckets.length });
      const chosen = group.buckets[bucket];
      if (chosen) this.applyActions(chosen.actions, { ...packet }, depth);
    };
    switch (group.groupType) {
      case 'all':
        if (group.buckets.length === 0) take(-1);
        group.buckets.forEach((_bucket, index) => take(index));
        return;
      case 'indirect':
        take(group.buckets.length > 0 ? 0 : -1);
        return;
      case 'fast_failover':
        take(group.buckets.findIndex((bucket) => this.bucketIsLive(bucket, 0)));
        return;
      case 'select':
        take(this.selectBucket(group, packet));
        return;
    }
  }

  private selectBucket(group: DesiredGroup, packet: TracePacket): number {
    if (this.options.selectBucket) {
      const chosen = this.options.selectBucket(group, packet);
      if (!Number.isInteger(chosen) || chosen < -1 || chosen >= group.buckets.length) {
        throw new RangeError(`selectBucket chose bucket ${chosen} of group ${group.groupId}, which has ${group.buckets.length}`);
      }
      return chosen;
    }
    return defaultSelectBucket(group.buckets, packet, (bucket) => this.bucketIsLive(bucket, 0));
  }

  /** A bucket with neither a watch port nor a watch group is always live, as in Open vSwitch. */
  private bucketIsLive(bucket: Bucket, depth: number): boolean {
    const watchPort = bucket.watchPort === undefined ? NO_PORT : typeof bucket.watchPort === 'number' ? bucket.watchPort : RESERVED_PORTS[bucket.watchPort];
    const watchGroup = typeof bucket.watchGroup === 'number' ? bucket.watchGroup : undefined;
    if (watchPort === NO_PORT && watchGroup === undefined) return true;
    if (watchPort !== NO_PORT && (this.options.liveness?.(watchPort) ?? true)) return true;
    if (watchGroup === undefined || depth >= MAX_GROUP_DEPTH) return false;
    const watched = this.state.groups.get(watchGroup);
    return watched !== undefined && watched.buckets.some((inner) => this.bucketIsLive(inner, depth + 1));
  }

  private record(step: TraceStep): void {
    if (this.steps.length >= MAX_TRACE_STEPS) throw new TraceAborted();
    this.steps.push(step);
  }
}

/**
 * The default SELECT choice: FNV-1a of the 5-tuple, modulo the total weight of the live buckets. A bucket
 * of weight 0 is never chosen unless every live bucket has weight 0 (or none given), then all count as 1.
 */
export function defaultSelectBucket(buckets: readonly Bucket[], packet: TracePacket, isLive: (bucket: Bucket) => boolean = () => true): number {
  const live = buckets.map((bucket, index) => ({ index, weight: bucket.weight ?? 0 })).filter(({ index }) => isLive(buckets[index] as Bucket));
  if (live.length === 0) return -1;
  const weighted = live.some(({ weight }) => weight > 0) ? live.filter(({ weight }) => weight > 0) : live.map(({ index }) => ({ index, weight: 1 }));
  const total = weighted.reduce((sum, { weight }) => sum + weight, 0);
  let point = fnv1a(`${packet.ipSrc ?? ''}|${packet.ipDst ?? ''}|${packet.ipProto ?? ''}|${packet.srcPort ?? ''}|${packet.dstPort ?? ''}`) % total;
  for (const { index, weight } of weighted) {
    if (point < weight) return index;
    point -= weight;
  }
  return weighted[weighted.length - 1]?.index ?? -1;
}

/**
 * The link an Open vSwitch `multipath` action (the only experimenter action the compiler writes) leaves in
 * its register: like a SELECT group's, the trace's hash is deterministic but not the switch's own.
 */
function multipathChoice(action: Extract<Action, { type: 'experimenter' }>, packet: TracePacket): { register: number; link: number } | undefined {
  if (action.experimenter !== NICIRA_VENDOR || action.data.length < 24 || action.data.readUInt16BE(0) !== 10) return undefined;
  const links = action.data.readUInt16BE(10) + 1;
  const register = (action.data.readUInt32BE(20) >>> 9) & 0x7f;
  const [low, high] = [packet.ipSrc ?? '', packet.ipDst ?? ''].sort();
  return { register, link: fnv1a(`${low}|${high}`) % links };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash;
}

// --- Matching: every field as a bigint, so that masks work the same for ports, MACs and addresses. ---

function flowMatches(match: Match, packet: TracePacket): boolean {
  if ((match.unknownFields?.length ?? 0) > 0) return false;
  for (const key of Object.keys(match)) {
    if (key === 'unknownFields') continue;
    const name = key as OxmName;
    const wanted = match[name];
    if (wanted === undefined) continue;
    const actual = packetField(packet, name);
    const expected = matchBits(name, wanted);
    if (actual === undefined || expected === undefined) return false;
    if ((actual & expected.mask) !== (expected.value & expected.mask)) return false;
  }
  return true;
}

/** The packet's value of a field; undefined when the packet has no such field (or it is not modelled). */
function packetField(packet: TracePacket, name: OxmName): bigint | undefined {
  const isIp = packet.ethType === ETH_TYPE_IPV4 || packet.ethType === ETH_TYPE_IPV6;
  const register = registerOf(name);
  if (register !== undefined) return packet.registers?.[register] ?? 0n;
  switch (name) {
    case 'in_port':
      return BigInt(packet.inPort);
    case 'metadata':
      return packet.metadata ?? 0n;
    case 'tunnel_id':
      return packet.tunnelId ?? 0n;
    case 'eth_dst':
      return macBits(packet.ethDst);
    case 'eth_src':
      return macBits(packet.ethSrc);
    case 'eth_type':
      return BigInt(packet.ethType);
    case 'vlan_vid':
      // An untagged packet: OFPVID_NONE.
      return 0n;
    case 'ip_proto':
      return isIp && packet.ipProto !== undefined ? BigInt(packet.ipProto) : undefined;
    case 'ipv4_src':
      return packet.ethType === ETH_TYPE_IPV4 ? ipv4Bits(packet.ipSrc) : undefined;
    case 'ipv4_dst':
      return packet.ethType === ETH_TYPE_IPV4 ? ipv4Bits(packet.ipDst) : undefined;
    case 'ipv6_src':
      return packet.ethType === ETH_TYPE_IPV6 ? ipv6Bits(packet.ipSrc) : undefined;
    case 'ipv6_dst':
      return packet.ethType === ETH_TYPE_IPV6 ? ipv6Bits(packet.ipDst) : undefined;
    default: {
      const fields = isIp && packet.ipProto !== undefined ? PORT_FIELDS_BY_PROTOCOL[packet.ipProto] : undefined;
      if (!fields) return undefined;
      const port = name === fields[0] ? packet.srcPort : name === fields[1] ? packet.dstPort : undefined;
      return port === undefined ? undefined : BigInt(port);
    }
  }
}

/** A match value as value and mask bits; undefined when it is not a valid value of the field. */
function matchBits(name: OxmName, matchValue: MatchValue): { value: bigint; mask: bigint } | undefined {
  const { format, bytes } = OXM_FIELDS[name];
  const fullMask = (1n << BigInt(bytes * 8)) - 1n;
  if (typeof matchValue === 'object') {
    const value = valueBits(format, matchValue.value);
    const mask = valueBits(format, matchValue.mask);
    return value === undefined || mask === undefined ? undefined : { value, mask };
  }
  if (typeof matchValue === 'string' && (format === 'ipv4' || format === 'ipv6') && matchValue.includes('/')) {
    const [address = '', prefixText = ''] = matchValue.split('/');
    const prefix = Number(prefixText);
    const width = bytes * 8;
    const value = valueBits(format, address);
    if (value === undefined || !/^\d{1,3}$/.test(prefixText) || prefix > width) return undefined;
    return { value, mask: fullMask ^ ((1n << BigInt(width - prefix)) - 1n) };
  }
  const value = valueBits(format, matchValue);
  return value === undefined ? undefined : { value, mask: fullMask };
}

function valueBits(format: OxmFormat, value: OxmValue): bigint | undefined {
  switch (format) {
    case 'mac':
      return typeof value === 'string' ? macBits(value) : undefined;
    case 'ipv4':
      return typeof value === 'string' ? ipv4Bits(value) : undefined;
    case 'ipv6':
      return typeof value === 'string' ? ipv6Bits(value) : undefined;
    default:
      return typeof value === 'bigint' ? value : typeof value === 'number' && Number.isInteger(value) && value >= 0 ? BigInt(value) : undefined;
  }
}

function macBits(text: string): bigint | undefined {
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text) ? BigInt(`0x${text.replace(/:/g, '')}`) : undefined;
}

function ipv4Bits(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const address = parseIpv4(text);
  return Number.isNaN(address) ? undefined : BigInt(address);
}

/** IPv6 text (with "::" and a dotted IPv4 tail allowed) to its 128 bits. */
function ipv6Bits(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  let head = text;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.includes('.', lastColon)) {
    const v4 = ipv4Bits(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): bigint[] | undefined => {
    if (part === undefined || part === '') return [];
    const groups = part.split(':');
    return groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group)) ? groups.map((group) => BigInt(`0x${group}`)) : undefined;
  };
  const left = parse(halves[0]);
  const right = parse(halves[1]);
  if (left === undefined || right === undefined) return undefined;
  const known = left.length + right.length + tail.length;
  const groups = halves.length === 2 ? [...left, ...Array<bigint>(8 - known).fill(0n), ...right, ...tail] : [...left, ...tail];
  if (groups.length !== 8 || (halves.length === 2 && known > 7)) return undefined;
  return groups.reduce((bits, group) => (bits << 16n) | group, 0n);
}

// --- set_field: the packet's fields written back as text or numbers. ---

function setField(packet: TracePacket, name: OxmName, matchValue: MatchValue): void {
  const before = packetField(packet, name) ?? 0n;
  const written = matchBits(name, matchValue);
  if (written === undefined) return;
  const bits = (before & ~written.mask) | (written.value & written.mask);
  const register = registerOf(name);
  if (register !== undefined) {
    packet.registers = { ...packet.registers, [register]: bits };
    return;
  }
  switch (name) {
    case 'in_port':
      packet.inPort = Number(bits);
      return;
    case 'metadata':
      packet.metadata = bits;
      return;
    case 'tunnel_id':
      packet.tunnelId = bits;
      return;
    case 'eth_dst':
      packet.ethDst = macText(bits);
      return;
    case 'eth_src':
      packet.ethSrc = macText(bits);
      return;
    case 'eth_type':
      packet.ethType = Number(bits);
      return;
    case 'ip_proto':
      packet.ipProto = Number(bits);
      return;
    case 'ipv4_src':
    case 'ipv4_dst':
      packet[name === 'ipv4_src' ? 'ipSrc' : 'ipDst'] = [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
      return;
    case 'ipv6_src':
    case 'ipv6_dst': {
      const bytes = Buffer.alloc(16);
      for (let index = 0; index < 16; index += 1) bytes[index] = Number((bits >> BigInt(8 * (15 - index))) & 0xffn);
      packet[name === 'ipv6_src' ? 'ipSrc' : 'ipDst'] = formatIpv6(bytes);
      return;
    }
    default: {
      for (const [source, destination] of Object.values(PORT_FIELDS_BY_PROTOCOL)) {
        if (name === source) packet.srcPort = Number(bits);
        if (name === destination) packet.dstPort = Number(bits);
      }
    }
  }
}

/** The number of an Open vSwitch register field (`reg0`..`reg7`), undefined for any other field. */
function registerOf(name: OxmName): number | undefined {
  const found = /^reg([0-7])$/.exec(name);
  return found ? Number(found[1]) : undefined;
}

function macText(bits: bigint): string {
  return formatMac(Buffer.from(bits.toString(16).padStart(12, '0'), 'hex'));
}
