import { randomUUID } from 'node:crypto';
import type { ChainIntent, SwitchConnection } from '../../../sfc/index.js';
import { OpenFlowController } from '../../../sfc/index.js';
import type { Action, Bucket, GroupType, Instruction, Match } from '../../../sfc/openflow/index.js';
import { compileSwitch, emptySwitchState, flowKey, SwitchReconciler, type DesiredFlow, type PortFacts, type SwitchState } from '../../../sfc/flows/index.js';
import { MAX_TRACE_STEPS, traceSwitch, type TraceOutput, type TracePacket, type TraceStep } from '../../../sfc/flows/trace.js';
import { NetworkNamespace } from '../../support/netns.js';
import { connectBridge, startController } from '../../support/openflow.js';
import { OvsInstance } from '../../support/ovs.js';
import { ADDRESSES, webChainIntent, type LabRole } from './web-chain-intent.js';

const apply = (...actions: Action[]): Instruction => ({ type: 'apply_actions', actions });
const output = (port: number): Action => ({ type: 'output', port });
const gotoTable = (tableId: number): Instruction => ({ type: 'goto_table', tableId });

function stateOf(flows: Array<Omit<DesiredFlow, 'cookie'> & { cookie?: bigint }>, groups: Array<{ groupId: number; groupType: GroupType; buckets: Bucket[] }> = []): SwitchState {
  const state = emptySwitchState();
  for (const flow of flows) state.flows.set(flowKey(flow), { cookie: 0n, ...flow });
  for (const group of groups) state.groups.set(group.groupId, group);
  return state;
}

const flow = (tableId: number, priority: number, match: Match, ...instructions: Instruction[]): Omit<DesiredFlow, 'cookie'> => ({ tableId, priority, match, instructions });

const PACKET: TracePacket = {
  inPort: 1,
  ethSrc: 'fa:16:3e:00:00:01',
  ethDst: 'fa:16:3e:00:00:02',
  ethType: 0x0800,
  ipProto: 6,
  ipSrc: '198.18.10.1',
  ipDst: '198.18.10.2',
  srcPort: 40000,
  dstPort: 80,
};
const V6_PACKET: TracePacket = { ...PACKET, ethType: 0x86dd, ipSrc: '2001:db8::1', ipDst: '2001:db8:0:1::2' };

const ports = (outputs: TraceOutput[]): number[] => outputs.map((item) => item.port);

describe('traceSwitch: matching', () => {
  it('takes the highest-priority matching flow of a table, whatever the insertion order', () => {
    const state = stateOf([flow(0, 10, {}, apply(output(2))), flow(0, 300, { in_port: 1, eth_type: 0x0800 }, apply(output(3))), flow(0, 200, { in_port: 1 }, apply(output(4)))]);
    const result = traceSwitch(state, PACKET);
    expect(ports(result.outputs)).toEqual([3]);
    expect(result.steps).toEqual([expect.objectContaining({ kind: 'flow', tableId: 0, priority: 300 })]);
    expect(result.dropped).toBe(false);
    expect(ports(traceSwitch(state, { ...PACKET, ethType: 0x0806 }).outputs)).toEqual([4]);
    expect(ports(traceSwitch(state, { ...PACKET, inPort: 9 }).outputs)).toEqual([2]);
  });

  it('misses and drops when no flow of a table matches', () => {
    const result = traceSwitch(stateOf([flow(0, 10, { in_port: 7 }, apply(output(2)))]), PACKET);
    expect(result).toEqual({ steps: [{ kind: 'miss', tableId: 0 }], outputs: [], dropped: true });
  });

  it('matches IPv4 CIDR strings and explicit address/mask pairs', () => {
    const state = stateOf([
      flow(0, 30, { eth_type: 0x0800, ipv4_dst: '198.18.10.0/30' }, apply(output(30))),
      flow(0, 20, { eth_type: 0x0800, ipv4_src: { value: '198.18.0.0', mask: '255.255.0.0' } }, apply(output(20))),
      flow(0, 10, { eth_type: 0x0800, ipv4_dst: '10.0.0.0/8' }, apply(output(10))),
    ]);
    expect(ports(traceSwitch(state, PACKET).outputs)).toEqual([30]);
    expect(ports(traceSwitch(state, { ...PACKET, ipDst: '198.18.10.4' }).outputs)).toEqual([20]);
    expect(ports(traceSwitch(state, { ...PACKET, ipSrc: '192.0.2.1', ipDst: '10.255.0.1' }).outputs)).toEqual([10]);
    expect(traceSwitch(state, { ...PACKET, ipSrc: '192.0.2.1', ipDst: '192.0.2.2' }).dropped).toBe(true);
    expect(ports(traceSwitch(state, { ...PACKET, ipDst: '198.18.10.2/32' }).outputs)).toEqual([20]);
  });

  it('matches IPv6 CIDR strings, and never an IPv4 field on an IPv6 packet or the reverse', () => {
    const state = stateOf([
      flow(0, 30, { eth_type: 0x86dd, ipv6_dst: '2001:db8:0:1::/64' }, apply(output(30))),
      flow(0, 20, { eth_type: 0x86dd, ipv6_src: '2001:db8::1' }, apply(output(20))),
      flow(0, 15, { ipv4_dst: '0.0.0.0/0' }, apply(output(15))),
      flow(0, 10, { ipv6_dst: '::/0' }, apply(output(10))),
    ]);
    expect(ports(traceSwitch(state, V6_PACKET).outputs)).toEqual([30]);
    expect(ports(traceSwitch(state, { ...V6_PACKET, ipDst: '2001:db8:0:2::2' }).outputs)).toEqual([20]);
    expect(ports(traceSwitch(state, { ...V6_PACKET, ipSrc: '2001:0db8:0000:0000:0000:0000:0000:0001', ipDst: '2001:db8:0:2::2' }).outputs)).toEqual([20]);
    expect(ports(traceSwitch(state, { ...V6_PACKET, ipSrc: '::ffff:198.18.10.1', ipDst: 'fe80::1' }).outputs)).toEqual([10]);
    expect(ports(traceSwitch(state, PACKET).outputs)).toEqual([15]);
  });

  it('matches multicast and broadcast with the group bit mask on eth_dst, and MACs case-insensitively', () => {
    const state = stateOf([
      flow(0, 100, { eth_dst: 'FA:16:3E:00:00:02' }, apply(output(2))),
      flow(0, 50, { eth_dst: { value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' } }, apply(output(5), output(6))),
    ]);
    expect(ports(traceSwitch(state, PACKET).outputs)).toEqual([2]);
    expect(ports(traceSwitch(state, { ...PACKET, ethDst: 'ff:ff:ff:ff:ff:ff', ethType: 0x0806 }).outputs)).toEqual([5, 6]);
    expect(ports(traceSwitch(state, { ...PACKET, ethDst: '33:33:00:00:00:01' }).outputs)).toEqual([5, 6]);
    expect(traceSwitch(state, { ...PACKET, ethDst: 'fa:16:3e:00:00:09' }).dropped).toBe(true);
  });

  it('matches L4 ports only under their own protocol, with value/mask port blocks', () => {
    const state = stateOf([
      // 80..83 as one block.
      flow(0, 30, { eth_type: 0x0800, ip_proto: 6, tcp_dst: { value: 80, mask: 0xfffc } }, apply(output(30))),
      flow(0, 20, { eth_type: 0x0800, ip_proto: 17, udp_dst: 80 }, apply(output(20))),
      flow(0, 15, { tcp_src: 40000 }, apply(output(15))),
      flow(0, 10, { eth_type: 0x0800, ip_proto: 6 }, apply(output(10))),
    ]);
    expect(ports(traceSwitch(state, PACKET).outputs)).toEqual([30]);
    expect(ports(traceSwitch(state, { ...PACKET, dstPort: 83 }).outputs)).toEqual([30]);
    expect(ports(traceSwitch(state, { ...PACKET, dstPort: 84 }).outputs)).toEqual([15]);
    expect(ports(traceSwitch(state, { ...PACKET, dstPort: 84, srcPort: 1 }).outputs)).toEqual([10]);
    expect(ports(traceSwitch(state, { ...PACKET, ipProto: 17 }).outputs)).toEqual([20]);
    // SCTP with port 80: neither the TCP nor the UDP flows.
    expect(traceSwitch(state, { ...PACKET, ipProto: 132 }).dropped).toBe(true);
    // A packet without ports never matches a port field.
    expect(ports(traceSwitch(state, { ...PACKET, dstPort: undefined }).outputs)).toEqual([15]);
  });

  it('matches metadata, masked or not, starting from 0', () => {
    const state = stateOf([
      flow(0, 10, {}, { type: 'write_metadata', metadata: 0x1234n, mask: 0xffffn }, gotoTable(10)),
      flow(10, 30, { metadata: { value: 0x1200n, mask: 0xff00n }, eth_dst: 'fa:16:3e:00:00:02' }, apply(output(2))),
      flow(10, 20, { metadata: 0xab001234n }, apply(output(3))),
      flow(10, 0, {}),
    ]);
    const result = traceSwitch(state, PACKET);
    expect(ports(result.outputs)).toEqual([2]);
    expect(result.outputs[0]?.packet.metadata).toBe(0x1234n);
    expect(result.steps.map((step) => step.kind === 'flow' && [step.tableId, step.priority])).toEqual([
      [0, 10],
      [10, 30],
    ]);
    // write_metadata keeps the bits outside its mask.
    expect(ports(traceSwitch(state, { ...PACKET, ethDst: 'fa:16:3e:00:00:09', metadata: 0xab00ffffn }).outputs)).toEqual([3]);
  });
});

describe('traceSwitch: instructions and actions', () => {
  it('records outputs with the packet as set_field left it at that point, and runs apply_actions before goto_table', () => {
    const state = stateOf([
      flow(
        0,
        10,
        {},
        gotoTable(5),
        apply(output(2), { type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:05' }, { type: 'set_field', field: 'ipv4_dst', value: '192.0.2.9' }, output(3)),
      ),
      flow(5, 10, { eth_dst: 'fa:16:3e:00:00:05', ipv4_dst: '192.0.2.9', eth_type: 0x0800 }, apply({ type: 'set_field', field: 'tcp_dst', value: 8080 }, output(4))),
    ]);
    const result = traceSwitch(state, PACKET);
    expect(ports(result.outputs)).toEqual([2, 3, 4]);
    expect(result.outputs[0]?.packet).toEqual(PACKET);
    expect(result.outputs[1]?.packet).toEqual({ ...PACKET, ethDst: 'fa:16:3e:00:00:05', ipDst: '192.0.2.9' });
    expect(result.outputs[2]?.packet).toEqual({ ...PACKET, ethDst: 'fa:16:3e:00:00:05', ipDst: '192.0.2.9', dstPort: 8080 });
  });

  it('drops an output to the ingress port unless it names IN_PORT', () => {
    expect(traceSwitch(stateOf([flow(0, 10, {}, apply(output(1)))]), PACKET)).toEqual(expect.objectContaining({ outputs: [], dropped: true }));
    expect(ports(traceSwitch(stateOf([flow(0, 10, {}, apply(output(1), output(2)))]), PACKET).outputs)).toEqual([2]);
    expect(ports(traceSwitch(stateOf([flow(0, 10, {}, apply({ type: 'output', port: 'in_port' }))]), PACKET).outputs)).toEqual([1]);
  });

  it('executes the action set written along the pipeline when it ends, group before output', () => {
    const state = stateOf(
      [
        flow(0, 10, {}, { type: 'write_actions', actions: [output(7), { type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:07' }] }, gotoTable(1)),
        flow(1, 10, { in_port: 1 }, { type: 'write_actions', actions: [output(8)] }),
        flow(1, 5, {}, { type: 'write_actions', actions: [{ type: 'group', groupId: 1 }] }),
      ],
      [{ groupId: 1, groupType: 'indirect', buckets: [{ actions: [output(9)] }] }],
    );
    const fromOne = traceSwitch(state, PACKET);
    expect(fromOne.outputs).toEqual([{ port: 8, packet: { ...PACKET, ethDst: 'fa:16:3e:00:00:07' } }]);
    expect(ports(traceSwitch(state, { ...PACKET, inPort: 3 }).outputs)).toEqual([9]);
  });

  it('stops a goto loop after a bounded number of steps and drops the packet', () => {
    // A switch rejects a backward goto_table; a desired state is not a switch, so the trace must still end.
    const state = stateOf([flow(0, 10, {}, apply(output(2)), gotoTable(3)), flow(3, 10, {}, gotoTable(0))]);
    const result = traceSwitch(state, PACKET);
    expect(result.steps).toHaveLength(MAX_TRACE_STEPS);
    expect(result).toEqual(expect.objectContaining({ outputs: [], dropped: true }));
  });
});

describe('traceSwitch: groups', () => {
  const selectState = (weights: number[]): SwitchState =>
    stateOf(
      [flow(0, 10, {}, apply({ type: 'group', groupId: 1 }))],
      [{ groupId: 1, groupType: 'select', buckets: weights.map((weight, index) => ({ weight, actions: [output(10 + index)] })) }],
    );
  const flows = Array.from({ length: 600 }, (_, index): TracePacket => ({ ...PACKET, srcPort: 1024 + index }));

  it('selects a SELECT bucket deterministically from the 5-tuple, in proportion to the weights', () => {
    const state = selectState([1, 3, 0]);
    const chosen = flows.map((packet) => traceSwitch(state, packet).outputs[0]?.port);
    expect(flows.map((packet) => traceSwitch(state, packet).outputs[0]?.port)).toEqual(chosen);
    const counts = [10, 11, 12].map((port) => chosen.filter((item) => item === port).length);
    expect(counts[2]).toBe(0);
    expect(counts[0]).toBeGreaterThan(100);
    expect(counts[1]).toBeGreaterThan(2 * (counts[0] ?? 0));
    expect(traceSwitch(state, flows[0] ?? PACKET).steps[1]).toEqual({ kind: 'group', groupId: 1, groupType: 'select', bucket: chosen[0] === 10 ? 0 : 1, buckets: 3 });
  });

  it('lets the caller pick the SELECT bucket, and skips dead buckets by default', () => {
    const state = selectState([1, 1, 1]);
    expect(ports(traceSwitch(state, PACKET, { selectBucket: () => 2 }).outputs)).toEqual([12]);
    const unwatched = flows.map((packet) => traceSwitch(state, packet, { liveness: (port) => port === 11 }).outputs[0]?.port);
    // No bucket watches a port, so liveness does not apply: every bucket stays in play.
    expect(new Set(unwatched)).toEqual(new Set([10, 11, 12]));
    const watched = stateOf(
      [flow(0, 10, {}, apply({ type: 'group', groupId: 1 }))],
      [{ groupId: 1, groupType: 'select', buckets: [10, 11, 12].map((port) => ({ weight: 1, watchPort: port, actions: [output(port)] })) }],
    );
    expect(new Set(flows.map((packet) => traceSwitch(watched, packet, { liveness: (port) => port === 11 }).outputs[0]?.port))).toEqual(new Set([11]));
  });

  it('fails over to the first bucket whose watched port is live', () => {
    const state = stateOf(
      [flow(0, 10, {}, apply({ type: 'group', groupId: 2 }))],
      [
        {
          groupId: 2,
          groupType: 'fast_failover',
          buckets: [
            { watchPort: 20, actions: [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:20' }, output(20)] },
            { watchPort: 21, actions: [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:21' }, output(21)] },
          ],
        },
      ],
    );
    expect(traceSwitch(state, PACKET).outputs).toEqual([{ port: 20, packet: { ...PACKET, ethDst: 'fa:16:3e:00:00:20' } }]);
    const failedOver = traceSwitch(state, PACKET, { liveness: (port) => port !== 20 });
    expect(failedOver.outputs).toEqual([{ port: 21, packet: { ...PACKET, ethDst: 'fa:16:3e:00:00:21' } }]);
    expect(failedOver.steps[1]).toEqual({ kind: 'group', groupId: 2, groupType: 'fast_failover', bucket: 1, buckets: 2 });
    const allDead = traceSwitch(state, PACKET, { liveness: () => false });
    expect(allDead.dropped).toBe(true);
    expect(allDead.steps[1]).toEqual(expect.objectContaining({ kind: 'group', bucket: -1 }));
  });

  it('runs every bucket of an ALL group on its own copy of the packet, and nested groups', () => {
    const state = stateOf(
      [flow(0, 10, {}, apply({ type: 'group', groupId: 1 }, output(5)))],
      [
        {
          groupId: 1,
          groupType: 'all',
          buckets: [{ actions: [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:03' }, output(3)] }, { actions: [{ type: 'group', groupId: 2 }] }],
        },
        { groupId: 2, groupType: 'fast_failover', buckets: [{ watchPort: 4, actions: [output(4)] }] },
      ],
    );
    const result = traceSwitch(state, PACKET);
    expect(result.outputs).toEqual([
      { port: 3, packet: { ...PACKET, ethDst: 'fa:16:3e:00:00:03' } },
      { port: 4, packet: PACKET },
      { port: 5, packet: PACKET },
    ]);
    expect(result.steps.map((step) => (step.kind === 'group' ? `${step.groupId}:${step.bucket}` : step.kind))).toEqual(['flow', '1:0', '1:1', '2:0']);
  });

  it('bounds nesting of groups: a group that recurses drops the packet', () => {
    const state = stateOf([flow(0, 10, {}, apply({ type: 'group', groupId: 1 }))], [{ groupId: 1, groupType: 'indirect', buckets: [{ actions: [output(2), { type: 'group', groupId: 1 }] }] }]);
    const result = traceSwitch(state, PACKET);
    expect(result.steps.filter((step) => step.kind === 'group')).toHaveLength(8);
    expect(result).toEqual(expect.objectContaining({ outputs: [], dropped: true }));
  });
});

// --- Agreement with a real Open vSwitch. ---

const BRIDGE = 'br-int';
const HOST = 'host-1';
const NETWORK = randomUUID();
const TAGS = new Map([[NETWORK, 0x1234n]]);

type Role = LabRole;

/** HTTP to the VM through a FW hop (two weighted instances, the first with a standby: SELECT over FAST_FAILOVER) and an LB. */
const WEB_CHAIN: ChainIntent = webChainIntent([
    {
      id: 'fw',
      loadBalanceFields: [],
      instances: [
        { id: 'fw', ingressPort: 'fwIn', egressPort: 'fwOut', weight: 1, backup: { ingressPort: 'fwBackupIn', egressPort: 'fwBackupOut' } },
        { id: 'fw2', ingressPort: 'fw2In', egressPort: 'fw2Out', weight: 3, backup: undefined },
      ],
    },
    { id: 'lb', loadBalanceFields: [], instances: [{ id: 'lb', ingressPort: 'lbIn', egressPort: 'lbOut', weight: 1, backup: undefined }] },
  ]);

/** The packet in `ovs-appctl ofproto/trace` flow syntax. */
function ovsFlowOf(packet: TracePacket): string {
  const fields = [`in_port=${packet.inPort}`, `dl_src=${packet.ethSrc}`, `dl_dst=${packet.ethDst}`];
  if (packet.ethType === 0x0806) return ['arp', ...fields, 'arp_op=1'].join(',');
  const v6 = packet.ethType === 0x86dd;
  const protocol = { 6: 'tcp', 17: 'udp', 132: 'sctp' }[packet.ipProto ?? 0];
  const family = protocol === undefined ? (v6 ? 'ipv6' : 'ip') : v6 ? `${protocol}6` : protocol;
  fields.unshift(family);
  if (packet.ipSrc !== undefined) fields.push(`${v6 ? 'ipv6_src' : 'nw_src'}=${packet.ipSrc}`);
  if (packet.ipDst !== undefined) fields.push(`${v6 ? 'ipv6_dst' : 'nw_dst'}=${packet.ipDst}`);
  if (protocol !== undefined && packet.srcPort !== undefined) fields.push(`${protocol}_src=${packet.srcPort}`);
  if (protocol !== undefined && packet.dstPort !== undefined) fields.push(`${protocol}_dst=${packet.dstPort}`);
  return fields.join(',');
}

/**
 * The OpenFlow-level outputs of an `ofproto/trace`, each with the eth_dst the frame had then. The trace
 * prints actions in the order they run, bucket actions included; "Datapath actions" is left alone since its
 * port numbers are the datapath's, not OpenFlow's.
 */
function ovsOutputs(traced: string, ethDst: string): Array<{ port: number; ethDst: string }> {
  const outputs: Array<{ port: number; ethDst: string }> = [];
  let current = ethDst;
  let last: { port: number; ethDst: string } | undefined;
  for (const line of traced.split('\n')) {
    if (line.startsWith('Final flow:')) break;
    const setDst = /set_field:([0-9a-f:]{17})->eth_dst/.exec(line);
    if (setDst?.[1]) current = setDst[1];
    const out = /^\s*output:(\d+)\s*$/.exec(line);
    if (out?.[1]) {
      last = { port: Number(out[1]), ethDst: current };
      outputs.push(last);
    }
    if (line.includes('skipping output to input port') && last) outputs.splice(outputs.indexOf(last), 1);
  }
  return outputs;
}

/** The flows a trace went through, as "table/priority/cookie". */
function ovsFlowsHit(traced: string): string[] {
  return [...traced.matchAll(/^\s*(\d+)\. (?:.*, )?priority (\d+), cookie (0x[0-9a-f]+)$/gm)].map((found) => `${found[1]}/${found[2]}/${found[3]}`);
}

const ourFlowsHit = (steps: TraceStep[]): string[] => steps.flatMap((step) => (step.kind === 'flow' ? [`${step.tableId}/${step.priority}/0x${step.cookie.toString(16)}`] : []));

const ourOutputs = (outputs: TraceOutput[]): Array<{ port: number; ethDst: string }> => outputs.map(({ port, packet }) => ({ port, ethDst: packet.ethDst }));

describe('traceSwitch agrees with ofproto/trace on a compiled state in a real Open vSwitch', () => {
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let target: string;
  let connection: SwitchConnection;
  let state: SwitchState;
  const namespaces: NetworkNamespace[] = [];
  const portFacts = new Map<string, PortFacts>();
  const ofports = {} as Record<Role, number>;
  const switchPorts = {} as Record<Role, string>;

  beforeAll(async () => {
    ovs = await OvsInstance.start('trace');
    await ovs.addBridge(BRIDGE, { failMode: 'secure', protocols: 'OpenFlow13' });
    ({ controller, target } = await startController(ovs));
    connection = await connectBridge(ovs, BRIDGE, controller, target);
    for (const role of Object.keys(ADDRESSES) as Role[]) {
      const namespace = await NetworkNamespace.create(role.toLowerCase().slice(0, 8));
      namespaces.push(namespace);
      const attached = await ovs.attach(namespace, BRIDGE, { mac: ADDRESSES[role].mac, address: `${ADDRESSES[role].ip}/24` });
      ofports[role] = attached.ofport;
      switchPorts[role] = attached.port;
      portFacts.set(role, { id: role, networkId: NETWORK, macAddress: ADDRESSES[role].mac, ipAddresses: [ADDRESSES[role].ip], hostId: HOST, ofport: attached.ofport, portSecurity: !role.startsWith('fw') && !role.startsWith('lb') });
    }
    state = compileSwitch({ hostId: HOST, chains: [WEB_CHAIN], ports: portFacts, networkTags: TAGS }).state;
    await new SwitchReconciler(connection).replace(state);
  });

  afterAll(async () => {
    await controller?.close();
    for (const namespace of namespaces) await namespace.delete();
    await ovs?.stop();
  });

  const from = (role: Role, overrides: Partial<TracePacket> = {}): TracePacket => ({
    inPort: ofports[role],
    ethSrc: ADDRESSES.ext.mac,
    ethDst: ADDRESSES.vm.mac,
    ethType: 0x0800,
    ipProto: 6,
    ipSrc: ADDRESSES.ext.ip,
    ipDst: ADDRESSES.vm.ip,
    srcPort: 40000,
    dstPort: 80,
    ...overrides,
  });

  async function compare(packet: TracePacket): Promise<Array<{ port: number; ethDst: string }>> {
    const traced = await ovs.trace(BRIDGE, ovsFlowOf(packet));
    const theirs = ovsOutputs(traced, packet.ethDst);
    const ours = traceSwitch(state, packet);
    expect({ packet: ovsFlowOf(packet), flows: ourFlowsHit(ours.steps), outputs: ourOutputs(ours.outputs) }).toEqual({
      packet: ovsFlowOf(packet),
      flows: ovsFlowsHit(traced),
      outputs: theirs,
    });
    expect(ours.dropped).toBe(theirs.length === 0);
    return theirs;
  }

  it('finds a SELECT group over a FAST_FAILOVER group in the compiled state', () => {
    const types = [...state.groups.values()].map((group) => group.groupType).sort();
    expect(types).toEqual(['fast_failover', 'select']);
  });

  /**
   * Open vSwitch selects SELECT buckets by dp_hash: a plain trace stops at "hash(...),recirc(N)" with no live
   * bucket, since the hash is only known in the datapath. Resuming that recirculation with each of the 16 hash
   * slots it uses gives every outcome the switch can pick.
   */
  async function ovsOutcomesOverHashes(packet: TracePacket): Promise<{ flows: string[]; outcomes: Array<Array<{ port: number; ethDst: string }>> }> {
    const traced = await ovs.trace(BRIDGE, ovsFlowOf(packet));
    const flows = ovsFlowsHit(traced);
    const recirculation = /Datapath actions: .*recirc\((0x[0-9a-f]+)\)/.exec(traced)?.[1];
    if (recirculation === undefined) return { flows, outcomes: [ovsOutputs(traced, packet.ethDst)] };
    const outcomes: Array<Array<{ port: number; ethDst: string }>> = [];
    for (let hash = 1; hash <= 16; hash += 1) {
      // OVS frees a recirculation id a moment after the trace that made it: a stale one traces to nothing,
      // so a slot that shows no output is traced again with a fresh id (a few times at most).
      let id = recirculation;
      let outcome: Array<{ port: number; ethDst: string }> = [];
      for (let attempt = 0; attempt < 3 && outcome.length === 0; attempt += 1) {
        if (attempt > 0) id = /Datapath actions: .*recirc\((0x[0-9a-f]+)\)/.exec(await ovs.trace(BRIDGE, ovsFlowOf(packet)))?.[1] ?? id;
        outcome = ovsOutputs(await ovs.trace(BRIDGE, `recirc_id=${id},dp_hash=${hash},${ovsFlowOf(packet)}`), packet.ethDst);
      }
      outcomes.push(outcome);
    }
    return { flows, outcomes };
  }

  it('classified HTTP from the entry port: every bucket OVS can pick is a bucket as we trace it, in the weights’ proportion', async () => {
    const select = [...state.groups.values()].find((group) => group.groupType === 'select');
    expect(select?.buckets).toHaveLength(2);
    for (const srcPort of [40000, 40001, 51234]) {
      const packet = from('ext', { srcPort });
      const perBucket = (select?.buckets ?? []).map((_bucket, index) => ourOutputs(traceSwitch(state, packet, { selectBucket: () => index }).outputs));
      expect(perBucket).toEqual([[{ port: ofports.fwIn, ethDst: ADDRESSES.fwIn.mac }], [{ port: ofports.fw2In, ethDst: ADDRESSES.fw2In.mac }]]);
      expect(perBucket).toContainEqual(ourOutputs(traceSwitch(state, packet).outputs));
      const { flows, outcomes: theirs } = await ovsOutcomesOverHashes(packet);
      expect(ourFlowsHit(traceSwitch(state, packet).steps)).toEqual(flows);
      for (const outcome of theirs) expect(perBucket).toContainEqual(outcome);
      const slots = perBucket.map((outcome) => theirs.filter((candidate) => JSON.stringify(candidate) === JSON.stringify(outcome)).length);
      // Weights 1 and 3 over 16 hash slots.
      expect(slots[0]).toBeGreaterThan(0);
      expect(slots[1]).toBeGreaterThan(2 * (slots[0] ?? 0));
    }
  });

  it('records both groups of the first hop when the SELECT picks the instance with a standby', () => {
    const select = [...state.groups.values()].find((group) => group.groupType === 'select');
    const packet = from('ext');
    const ours = traceSwitch(state, packet, { selectBucket: () => 0 });
    expect(ours.steps.filter((step) => step.kind === 'group').map((step) => step.kind === 'group' && [step.groupType, step.bucket, step.buckets])).toEqual([
      ['select', 0, select?.buckets.length],
      ['fast_failover', 0, 2],
    ]);
  });

  it('unclassified traffic, ARP broadcast, returns from every SF egress and unknown MACs', async () => {
    const cases: Array<[string, TracePacket, Array<{ port: number; ethDst: string }>]> = [
      ['ssh to the VM', from('ext', { dstPort: 22 }), [{ port: ofports.vm, ethDst: ADDRESSES.vm.mac }]],
      ['udp/80 is not classified', from('ext', { ipProto: 17 }), [{ port: ofports.vm, ethDst: ADDRESSES.vm.mac }]],
      ['IPv6 to the VM by MAC', from('ext', { ethType: 0x86dd, ipSrc: '2001:db8::1', ipDst: '2001:db8::2' }), [{ port: ofports.vm, ethDst: ADDRESSES.vm.mac }]],
      [
        'ARP broadcast: to non-SF ports only',
        from('ext', { ethType: 0x0806, ethDst: 'ff:ff:ff:ff:ff:ff', ipProto: undefined, ipSrc: undefined, ipDst: undefined, srcPort: undefined, dstPort: undefined }),
        [{ port: ofports.vm, ethDst: 'ff:ff:ff:ff:ff:ff' }],
      ],
      ['back from the FW: to the LB', from('fwOut', { ethDst: ADDRESSES.fwIn.mac }), [{ port: ofports.lbIn, ethDst: ADDRESSES.lbIn.mac }]],
      ['back from the FW standby: to the LB', from('fwBackupOut', { ethDst: ADDRESSES.fwBackupIn.mac }), [{ port: ofports.lbIn, ethDst: ADDRESSES.lbIn.mac }]],
      ['back from the second FW: to the LB', from('fw2Out', { ethDst: ADDRESSES.fw2In.mac }), [{ port: ofports.lbIn, ethDst: ADDRESSES.lbIn.mac }]],
      ['back from the LB: to the VM by its IP', from('lbOut', { ethDst: ADDRESSES.lbIn.mac }), [{ port: ofports.vm, ethDst: ADDRESSES.vm.mac }]],
      ['back from the LB to an IP nobody owns', from('lbOut', { ethDst: ADDRESSES.lbIn.mac, ipDst: '198.18.10.99' }), []],
      ['a spoofed source MAC from a port with port security', from('ext', { ethSrc: 'fa:16:3e:66:66:66', dstPort: 22 }), []],
      ['unknown unicast MAC', from('ext', { ethDst: 'fa:16:3e:99:99:99', dstPort: 22 }), []],
      ['the VM to its own MAC: never back out of its port', from('vm', { ethSrc: ADDRESSES.vm.mac, ethDst: ADDRESSES.vm.mac, dstPort: 22 }), []],
      ['the VM to the outside', from('vm', { ethSrc: ADDRESSES.vm.mac, ethDst: ADDRESSES.ext.mac, ipSrc: ADDRESSES.vm.ip, ipDst: ADDRESSES.ext.ip, srcPort: 80, dstPort: 40000 }), [{ port: ofports.ext, ethDst: ADDRESSES.ext.mac }]],
    ];
    for (const [name, packet, expected] of cases) {
      const theirs = await compare(packet);
      expect({ name, outputs: theirs }).toEqual({ name, outputs: expected });
    }
  });

  it('fails over like the switch when the primary FW port is down', async () => {
    await ovs.ofctl('mod-port', BRIDGE, switchPorts.fwIn, 'down');
    try {
      const packet = from('ext');
      const down = new Set([ofports.fwIn]);
      const ours = traceSwitch(state, packet, { selectBucket: () => 0, liveness: (port) => !down.has(port) });
      expect(ourOutputs(ours.outputs)).toEqual([{ port: ofports.fwBackupIn, ethDst: ADDRESSES.fwBackupIn.mac }]);
      expect((await ovsOutcomesOverHashes(packet)).outcomes).toContainEqual(ourOutputs(ours.outputs));
    } finally {
      await ovs.ofctl('mod-port', BRIDGE, switchPorts.fwIn, 'up');
    }
  });
});
