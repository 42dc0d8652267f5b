import { encodeMessage, type ChainIntent, type TrafficClassifier } from '../../../sfc/index.js';
import {
  chainOfGroup,
  classifierMatches,
  compileSwitch,
  cookieOf,
  groupIdOf,
  isOurCookie,
  isOurGroup,
  ownerOfCookie,
  PRIORITY,
  TABLE,
  traceSwitch,
  type DesiredFlow,
  type PortFacts,
} from '../../../sfc/flows/index.js';

const NETWORK = 'net-1';
const HOST = 'host-a';

function port(id: string, ofport: number | undefined, hostId: string | undefined = HOST): PortFacts {
  const n = ofport ?? 99;
  return { id, networkId: NETWORK, macAddress: `fa:16:3e:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`, ipAddresses: [`198.18.${20 + (n >> 8)}.${n & 0xff}`], hostId, ofport, portSecurity: false };
}

const classifier = (overrides: Partial<TrafficClassifier> = {}): TrafficClassifier => ({
  id: 'c1',
  ethertype: 'IPv4',
  protocol: 6,
  sourcePrefix: undefined,
  destinationPrefix: undefined,
  sourcePorts: [],
  destinationPorts: [{ min: 80, max: 80 }],
  logicalSourcePort: undefined,
  logicalDestinationPort: undefined,
  ...overrides,
});

function chain(hops: ChainIntent['hops'], overrides: Partial<ChainIntent> = {}): ChainIntent {
  return { id: 'chain', tenantId: 't', api: 'networking-sfc', chainId: 42, correlation: 'none', symmetric: false, classifiers: [classifier()], hops, ...overrides };
}

const instance = (id: string, ingressPort: string, egressPort: string, weight = 1, backup?: { ingressPort: string; egressPort: string }) => ({ id, ingressPort, egressPort, weight, backup });

function compile(chains: ChainIntent[], ports: PortFacts[]) {
  return compileSwitch({ hostId: HOST, chains, ports: new Map(ports.map((one) => [one.id, one])), networkTags: new Map([[NETWORK, 7n]]) });
}

const flowsOf = (flows: Iterable<DesiredFlow>, role: Parameters<typeof cookieOf>[0]) => [...flows].filter((flow) => ownerOfCookie(flow.cookie).role === role);

describe('classifier matches', () => {
  it('expands a port range into masked blocks, exactly covering it', () => {
    const matches = classifierMatches(classifier({ destinationPorts: [{ min: 800, max: 900 }] }));
    const covered = new Set<number>();
    for (const match of matches) {
      const block = match.tcp_dst as number | { value: number; mask: number };
      const { value, mask } = typeof block === 'number' ? { value: block, mask: 0xffff } : block;
      for (let candidate = 0; candidate <= 0xffff; candidate += 1) if ((candidate & mask) === value) covered.add(candidate);
    }
    expect(Math.min(...covered)).toBe(800);
    expect(Math.max(...covered)).toBe(900);
    expect(covered.size).toBe(101);
  });

  it('matches both TCP and UDP when ports are given without a protocol', () => {
    const matches = classifierMatches(classifier({ protocol: undefined }));
    expect(matches).toEqual([
      { eth_type: 0x0800, ip_proto: 6, tcp_dst: 80 },
      { eth_type: 0x0800, ip_proto: 17, udp_dst: 80 },
    ]);
  });

  it('uses the IPv6 fields for an IPv6 classifier', () => {
    const [match] = classifierMatches(classifier({ ethertype: 'IPv6', sourcePrefix: '2001:db8::/64', destinationPorts: [] }));
    expect(match).toEqual({ eth_type: 0x86dd, ipv6_src: '2001:db8::/64', ip_proto: 6 });
  });

  it('combines source and destination ranges', () => {
    const matches = classifierMatches(classifier({ sourcePorts: [{ min: 1000, max: 1001 }], destinationPorts: [{ min: 80, max: 81 }] }));
    expect(matches).toEqual([{ eth_type: 0x0800, ip_proto: 6, tcp_src: { value: 1000, mask: 0xfffe }, tcp_dst: { value: 80, mask: 0xfffe } }]);
  });
});

describe('ownership marks', () => {
  it('cookies and group ids name their chain, and are recognisably ours', () => {
    const cookie = cookieOf('steer', 4095, 3);
    expect(isOurCookie(cookie)).toBe(true);
    expect(ownerOfCookie(cookie)).toEqual({ role: 'steer', chainId: 4095, detail: 3 });
    expect(isOurCookie(0x1234n)).toBe(false);
    const group = groupIdOf(4095, 2, 1);
    expect(isOurGroup(group)).toBe(true);
    expect(chainOfGroup(group)).toBe(4095);
    expect(isOurGroup(1)).toBe(false);
  });
});

describe('compiling one switch', () => {
  const ports = [port('src', 1), port('dst', 2), port('fwIn', 3), port('fwOut', 4), port('lb1In', 5), port('lb1Out', 6), port('lb2In', 7), port('lb2Out', 8), port('lb3In', 9), port('lb3Out', 10), port('stbyIn', 11), port('stbyOut', 12)];

  it('classifies at the entry ports only, never at service-function ports', () => {
    const { state } = compile([chain([{ id: 'fw', loadBalanceFields: [], instances: [instance('fw', 'fwIn', 'fwOut')] }])], ports.slice(0, 4));
    const entries = flowsOf(state.flows.values(), 'classify').map((flow) => flow.match.in_port);
    expect(entries).toEqual([1, 2]);
    expect(flowsOf(state.flows.values(), 'classify').every((flow) => flow.priority === PRIORITY.classify && flow.tableId === TABLE.ingress)).toBe(true);
  });

  it('classifies only at the logical source port when one is named', () => {
    const { state } = compile([chain([{ id: 'fw', loadBalanceFields: [], instances: [instance('fw', 'fwIn', 'fwOut')] }], { classifiers: [classifier({ logicalSourcePort: 'src' })] })], ports);
    expect(flowsOf(state.flows.values(), 'classify').map((flow) => flow.match.in_port)).toEqual([1]);
  });

  it('balances a hop of three instances with a weighted SELECT group', () => {
    const { state } = compile(
      [chain([{ id: 'lb', loadBalanceFields: [], instances: [instance('a', 'lb1In', 'lb1Out', 1), instance('b', 'lb2In', 'lb2Out', 2), instance('c', 'lb3In', 'lb3Out', 3)] }])],
      ports,
    );
    const group = state.groups.get(groupIdOf(42, 0, 0));
    expect(group?.groupType).toBe('select');
    expect(group?.buckets.map((bucket) => bucket.weight)).toEqual([1, 2, 3]);
    expect(group?.buckets.map((bucket) => bucket.actions)).toEqual([
      [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:05' }, { type: 'output', port: 5 }],
      [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:07' }, { type: 'output', port: 7 }],
      [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:09' }, { type: 'output', port: 9 }],
    ]);
    // Coming back from any instance: on to the destination.
    expect(flowsOf(state.flows.values(), 'steer').map((flow) => flow.match.in_port).sort()).toEqual([10, 6, 8]);
  });

  it('protects an instance with a standby through a FAST_FAILOVER group watching the primary', () => {
    const { state } = compile([chain([{ id: 'fw', loadBalanceFields: [], instances: [instance('fw', 'fwIn', 'fwOut', 1, { ingressPort: 'stbyIn', egressPort: 'stbyOut' })] }])], ports);
    const group = state.groups.get(groupIdOf(42, 0, 1));
    expect(group).toEqual({
      groupId: groupIdOf(42, 0, 1),
      groupType: 'fast_failover',
      buckets: [
        { watchPort: 3, actions: [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:03' }, { type: 'output', port: 3 }] },
        { watchPort: 11, actions: [{ type: 'set_field', field: 'eth_dst', value: 'fa:16:3e:00:00:0b' }, { type: 'output', port: 11 }] },
      ],
    });
    // Traffic returning from the standby's egress continues the chain too.
    expect(flowsOf(state.flows.values(), 'steer').map((flow) => flow.match.in_port).sort()).toEqual([12, 4]);
  });

  it('does not steer a chain whose hop has no instance bound here, and says why', () => {
    const unbound = ports.map((one) => (one.id === 'fwIn' ? { ...one, hostId: undefined, ofport: undefined } : one));
    const { state, notices } = compile([chain([{ id: 'fw', loadBalanceFields: [], instances: [instance('fw', 'fwIn', 'fwOut')] }])], unbound);
    expect(flowsOf(state.flows.values(), 'classify')).toHaveLength(0);
    expect(notices).toEqual([{ chainId: 'chain', message: 'hop 1 has no service function instance bound on host host-a' }]);
  });

  it('floods broadcasts only to ports that are not service-function ports, and delivers unicast by known MACs', () => {
    const { state } = compile([chain([{ id: 'fw', loadBalanceFields: [], instances: [instance('fw', 'fwIn', 'fwOut')] }])], ports.slice(0, 4));
    const broadcast = [...state.flows.values()].find((flow) => flow.tableId === TABLE.deliver && flow.priority === PRIORITY.broadcast);
    expect(broadcast?.instructions).toEqual([{ type: 'apply_actions', actions: [{ type: 'output', port: 1 }, { type: 'output', port: 2 }] }]);
    const unicast = [...state.flows.values()].filter((flow) => flow.tableId === TABLE.deliver && flow.priority === PRIORITY.destination);
    expect(unicast.map((flow) => flow.match.eth_dst)).toEqual(ports.slice(0, 4).map((one) => one.macAddress));
    expect([...state.flows.values()].some((flow) => flow.instructions.some((instruction) => instruction.type === 'apply_actions' && instruction.actions.some((action) => action.type === 'output' && action.port === 'normal')))).toBe(false);
  });

  it('is deterministic: the same input compiles to the same state', () => {
    const chains = [chain([{ id: 'fw', loadBalanceFields: [], instances: [instance('fw', 'fwIn', 'fwOut')] }])];
    const first = compile(chains, ports);
    const second = compile(chains, [...ports].reverse());
    expect([...second.state.flows.keys()].sort()).toEqual([...first.state.flows.keys()].sort());
  });

  it('keeps every flow inside one OpenFlow message for a network of 5000 ports, broadcasting to all of them', () => {
    const many = Array.from({ length: 5000 }, (_, index) => port(`p${index}`, index + 1));
    const { state } = compile([], many);
    const outputs = new Set<number>();
    for (const flow of state.flows.values()) {
      const bytes = encodeMessage({ type: 'flow_mod', command: 'add', xid: 1, ...flow });
      expect(bytes.length).toBeLessThan(65536);
      if (flow.priority === PRIORITY.broadcast) {
        for (const instruction of flow.instructions) if (instruction.type === 'apply_actions') for (const action of instruction.actions) if (action.type === 'output') outputs.add(action.port as number);
      }
    }
    expect(outputs.size).toBe(5000);
  });

  it('balances on lb_fields with a multipath hash and weighted slots, and says when OVS cannot hash them', () => {
    const hop = (fields: ChainIntent['hops'][number]['loadBalanceFields']) => [{ id: 'lb', loadBalanceFields: fields, instances: [instance('a', 'lb1In', 'lb1Out', 1), instance('b', 'lb2In', 'lb2Out', 3)] }];
    const bySource = compile([chain(hop(['ip_src']))], ports);
    const slots = [...bySource.state.flows.values()].filter((flow) => flow.tableId === TABLE.balance);
    expect(slots.map((flow) => flow.match.reg0)).toEqual([0, 1, 2, 3]);
    expect(slots.map((flow) => (flow.instructions[0] as { actions: Array<{ port?: unknown }> }).actions.at(-1)?.port)).toEqual([5, 7, 7, 7]);
    expect(bySource.state.groups.size).toBe(0);
    // The trace follows the hash into the slots: the packet reaches one of the hop's instances.
    const traced = traceSwitch(bySource.state, { inPort: 1, ethSrc: 'fa:16:3e:00:00:01', ethDst: 'fa:16:3e:00:00:02', ethType: 0x0800, ipProto: 6, ipSrc: '198.18.20.1', ipDst: '198.18.20.2', srcPort: 40000, dstPort: 80 });
    expect(traced.outputs.map((output) => output.port).filter((port) => port === 5 || port === 7)).toHaveLength(1);
    const unhashable = compile([chain(hop(['eth_dst']))], ports);
    expect(unhashable.state.groups.get(groupIdOf(42, 0, 0))?.groupType).toBe('select');
    expect(unhashable.notices.map((notice) => notice.message)).toEqual(['lb_fields eth_dst cannot be hashed by Open vSwitch over OpenFlow 1.3: hop 1 balances on the 5-tuple']);
  });

  it('refuses to program a chain whose hops or instances exceed what group ids and labels can carry', () => {
    const hops = Array.from({ length: 128 }, (_, index) => ({ id: `h${index}`, loadBalanceFields: [], instances: [instance(`i${index}`, 'fwIn', 'fwOut')] }));
    const { state, notices } = compile([chain(hops)], ports);
    expect(flowsOf(state.flows.values(), 'classify')).toHaveLength(0);
    expect(notices).toEqual([{ chainId: 'chain', message: 'at most 127 hops of at most 254 instances can be programmed' }]);
  });
});
