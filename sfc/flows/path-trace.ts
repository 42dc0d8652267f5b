/**
 * The trace endpoint's engine: a packet entering at a Neutron port is run through the flows we programmed on
 * that port's switch; when it leaves towards a service function's ingress, it is taken to come back
 * unchanged on that function's egress (what a transparent function does; a router-like one may rewrite MACs,
 * which steering does not depend on) and the trace goes on, hop after hop, until it is delivered or dropped.
 */
import type { ChainIntent } from '../chains/model.js';
import type { PortFacts } from './compiler.js';
import type { SwitchState } from './desired.js';
import { formatInstructions, formatMatch } from './inspection.js';
import { ownerOfCookie } from './pipeline.js';
import { traceSwitch, type TracePacket, type TraceStep } from './trace.js';

/** The packet a trace asks about, as an operator writes it. */
export interface TraceQuery {
  ingressPortId: string;
  ethertype: 'IPv4' | 'IPv6';
  protocol: number | undefined;
  sourceIp: string;
  destinationIp: string;
  sourcePort: number | undefined;
  destinationPort: number | undefined;
}

export interface TracedFlow {
  table: number;
  priority: number;
  cookie: string;
  role: string;
  chain_id: number | null;
  match: string;
  actions: string;
}

export interface TracedSegment {
  host_id: string;
  in_port: string;
  flows: Array<TracedFlow | { group_id: number; type: string; bucket: number; buckets: number } | { miss_in_table: number }>;
  out_ports: string[];
}

export interface TracedHop {
  chain: string;
  chain_id: number;
  hop: number;
  ingress_port: string;
  egress_port: string;
}

export interface PathTrace {
  segments: TracedSegment[];
  hops: TracedHop[];
  delivered_to: string[];
  dropped: boolean;
  notes: string[];
}

/** Where a service function's ingress port sends the trace on: its egress, in which chain and hop. */
interface FunctionReturn {
  chain: ChainIntent;
  hop: number;
  egressPort: string;
}

const MAX_SEGMENTS = 32;
const SELECT_NOTE = 'a SELECT group picks its bucket by the switch’s own hash: the instance shown is indicative';

export interface PathTraceInput {
  chains: readonly ChainIntent[];
  ports: ReadonlyMap<string, PortFacts>;
  /** What was last applied to each host's switch. */
  stateOf(hostId: string): SwitchState | undefined;
  /** Peer host id to the ofport of the host bridge's tunnel to it. */
  tunnelsOf?(hostId: string): ReadonlyMap<string, number>;
}

export function tracePath(input: PathTraceInput, query: TraceQuery): PathTrace | { problem: string } {
  const returns = functionReturns(input.chains);
  const ingress = input.ports.get(query.ingressPortId);
  if (!ingress?.hostId || ingress.ofport === undefined) return { problem: `port ${query.ingressPortId} is not bound on any host` };
  const destination = [...input.ports.values()].find((port) => port.networkId === ingress.networkId && port.ipAddresses.includes(query.destinationIp));
  let packet: TracePacket = {
    inPort: ingress.ofport,
    ethSrc: ingress.macAddress,
    ethDst: destination?.macAddress ?? 'ff:ff:ff:ff:ff:ff',
    ethType: query.ethertype === 'IPv6' ? 0x86dd : 0x0800,
    ipProto: query.protocol,
    ipSrc: query.sourceIp,
    ipDst: query.destinationIp,
    srcPort: query.sourcePort,
    dstPort: query.destinationPort,
  };
  const byOfport = (hostId: string, ofport: number): PortFacts | undefined => [...input.ports.values()].find((port) => port.hostId === hostId && port.ofport === ofport);
  const trace: PathTrace = { segments: [], hops: [], delivered_to: [], dropped: false, notes: [] };
  let hostId = ingress.hostId;
  let inPortName = ingress.id;
  for (let segment = 0; segment < MAX_SEGMENTS; segment += 1) {
    const state = input.stateOf(hostId);
    if (!state) return { problem: `the switch of host ${hostId} is not connected` };
    const result = traceSwitch(state, packet);
    const tunnels = input.tunnelsOf?.(hostId) ?? new Map<string, number>();
    const peerOf = (ofport: number): string | undefined => [...tunnels].find(([, tunnel]) => tunnel === ofport)?.[0];
    const outPorts = result.outputs.map((output) => byOfport(hostId, output.port));
    trace.segments.push({
      host_id: hostId,
      in_port: inPortName,
      flows: result.steps.map(describeStep),
      out_ports: outPorts.map((port, index) => {
        const ofport = result.outputs[index]?.port ?? 0;
        const peer = peerOf(ofport);
        return port?.id ?? (peer === undefined ? `ofport ${ofport}` : `tunnel to host ${peer}`);
      }),
    });
    if (result.steps.some((step) => step.kind === 'group' && step.groupType === 'select') && !trace.notes.includes(SELECT_NOTE)) trace.notes.push(SELECT_NOTE);
    if (result.dropped) {
      trace.dropped = true;
      return trace;
    }
    // Through a tunnel: on to the peer's switch, the packet keeping its tunnel key.
    const tunnelled = result.outputs.find((output) => peerOf(output.port) !== undefined);
    if (tunnelled) {
      const peer = peerOf(tunnelled.port) as string;
      packet = { ...tunnelled.packet, inPort: input.tunnelsOf?.(peer)?.get(hostId) ?? 0, metadata: undefined };
      inPortName = `tunnel from host ${hostId}`;
      hostId = peer;
      continue;
    }
    const next = outPorts.map((port, index) => ({ port, output: result.outputs[index] })).find(({ port }) => port !== undefined && returns.has(port.id));
    if (!next?.port || !next.output) {
      trace.delivered_to = outPorts.flatMap((port) => (port ? [port.id] : []));
      return trace;
    }
    const back = returns.get(next.port.id) as FunctionReturn;
    trace.hops.push({ chain: back.chain.id, chain_id: back.chain.chainId, hop: back.hop, ingress_port: next.port.id, egress_port: back.egressPort });
    const egress = input.ports.get(back.egressPort);
    if (!egress?.hostId || egress.ofport === undefined) {
      trace.notes.push(`the service function's egress port ${back.egressPort} is not bound`);
      trace.dropped = true;
      return trace;
    }
    packet = { ...next.output.packet, inPort: egress.ofport, metadata: undefined, tunnelId: undefined };
    hostId = egress.hostId;
    inPortName = egress.id;
  }
  trace.notes.push(`stopped after ${MAX_SEGMENTS} service functions: a loop`);
  trace.dropped = true;
  return trace;
}

function functionReturns(chains: readonly ChainIntent[]): Map<string, FunctionReturn> {
  const returns = new Map<string, FunctionReturn>();
  for (const chain of chains) {
    chain.hops.forEach((hop, index) => {
      for (const instance of hop.instances) {
        returns.set(instance.ingressPort, { chain, hop: index + 1, egressPort: instance.egressPort });
        if (instance.backup) returns.set(instance.backup.ingressPort, { chain, hop: index + 1, egressPort: instance.backup.egressPort });
      }
    });
  }
  return returns;
}

function describeStep(step: TraceStep): TracedSegment['flows'][number] {
  if (step.kind === 'miss') return { miss_in_table: step.tableId };
  if (step.kind === 'group') return { group_id: step.groupId, type: step.groupType, bucket: step.bucket, buckets: step.buckets };
  const owner = ownerOfCookie(step.cookie);
  return {
    table: step.tableId,
    priority: step.priority,
    cookie: `0x${step.cookie.toString(16)}`,
    role: owner.role ?? 'unknown',
    chain_id: owner.chainId === 0 ? null : owner.chainId,
    match: formatMatch(step.match),
    actions: formatInstructions(step.instructions),
  };
}
