/**
 * What an operator sees of a chain in production: per switch, the flows and groups we programmed for it as
 * the switch reports them (with live packet and byte counters), and per hop how many packets were sent to
 * it and came back from it.
 */
import type { Action, FlowStats, GroupStats, Instruction, Match, MatchValue } from '../openflow/index.js';
import type { ChainIntent } from '../chains/model.js';
import { REVERSE, type ChainNotice } from './compiler.js';
import { chainOfGroup, isOurGroup, ownerOfCookie } from './pipeline.js';
import type { SwitchReconciler } from './reconciler.js';

export interface RenderedFlow {
  table: number;
  priority: number;
  cookie: string;
  role: string;
  direction: 'forward' | 'reverse';
  /** 1-based hop (in the chain's order) the flow sends packets to; null: on to their destination. */
  to_hop: number | null;
  /** 1-based hop the packets come back from (steering flows). */
  from_hop: number | null;
  match: string;
  actions: string;
  packets: number;
  bytes: number;
}

export interface RenderedGroup {
  group_id: number;
  type: string;
  packets: number;
  bytes: number;
  buckets: Array<{ actions: string; weight: number | null; watch_port: number | null; packets: number; bytes: number }>;
}

export interface HopCounters {
  hop: number;
  /** Packets sent to the hop's service functions. */
  packets_in: number;
  /** Packets that came back from them and were steered on. */
  packets_out: number;
  /** The same for replies of a symmetric chain (entering by the functions' egress ports). */
  reverse_packets_in: number;
  reverse_packets_out: number;
}

export interface RenderedSwitch {
  host_id: string;
  datapath_id: string;
  notices: string[];
  hops: HopCounters[];
  flows: RenderedFlow[];
  groups: RenderedGroup[];
}

export interface RenderedChain {
  chain_id: number;
  switches: RenderedSwitch[];
}

export async function renderChainOnSwitch(chain: ChainIntent, hostId: string, reconciler: SwitchReconciler, notices: readonly ChainNotice[]): Promise<RenderedSwitch> {
  const [flows, stats, descriptions] = await Promise.all([reconciler.ourSwitchFlows(chain.chainId), groupStats(reconciler), reconciler.switchGroups()]);
  const chainFlows = flows.filter((flow) => ownerOfCookie(flow.cookie).role !== 'base');
  const rendered = chainFlows.map((flow) => renderFlow(flow, chain.hops.length)).sort((a, b) => a.table - b.table || b.priority - a.priority || a.match.localeCompare(b.match));
  const hops: HopCounters[] = chain.hops.map((_hop, index) => ({ hop: index + 1, packets_in: 0, packets_out: 0, reverse_packets_in: 0, reverse_packets_out: 0 }));
  for (const flow of rendered) {
    const reverse = flow.direction === 'reverse';
    const into = flow.to_hop === null ? undefined : hops[flow.to_hop - 1];
    if (into) into[reverse ? 'reverse_packets_in' : 'packets_in'] += flow.packets;
    const from = flow.from_hop === null ? undefined : hops[flow.from_hop - 1];
    if (from) from[reverse ? 'reverse_packets_out' : 'packets_out'] += flow.packets;
  }
  const groups = descriptions
    .filter((group) => isOurGroup(group.groupId) && chainOfGroup(group.groupId) === (chain.chainId & 0xfff))
    .map((group): RenderedGroup => {
      const counters = stats.get(group.groupId);
      return {
        group_id: group.groupId,
        type: group.groupType,
        packets: Number(counters?.packetCount ?? 0n),
        bytes: Number(counters?.byteCount ?? 0n),
        buckets: group.buckets.map((bucket, index) => ({
          actions: formatActions(bucket.actions),
          weight: bucket.weight ?? null,
          watch_port: typeof bucket.watchPort === 'number' ? bucket.watchPort : null,
          packets: Number(counters?.buckets[index]?.packetCount ?? 0n),
          bytes: Number(counters?.buckets[index]?.byteCount ?? 0n),
        })),
      };
    });
  const datapathId = reconciler.connection.datapathId ?? 0n;
  return {
    host_id: hostId,
    datapath_id: datapathId.toString(16).padStart(16, '0'),
    notices: notices.filter((notice) => notice.chainId === chain.id).map((notice) => notice.message),
    hops,
    flows: rendered,
    groups,
  };
}

async function groupStats(reconciler: SwitchReconciler): Promise<Map<number, GroupStats>> {
  const replies = await reconciler.connection.multipart({ kind: 'group' });
  return new Map(replies.flatMap((reply) => (reply.kind === 'group' ? reply.groups : [])).map((group) => [group.groupId, group]));
}

/** Classify and steer cookies carry the direction and the position in it; hops are named in chain order. */
function renderFlow(flow: FlowStats, hopCount: number): RenderedFlow {
  const owner = ownerOfCookie(flow.cookie);
  const reverse = (owner.detail & REVERSE) !== 0;
  // Position 0 is the entry (classification), position p > 0 the return from the p-th hop of the direction.
  const position = owner.detail & ~REVERSE;
  const inChainOrder = (directed: number): number | null => (directed < 1 || directed > hopCount ? null : reverse ? hopCount - directed + 1 : directed);
  const directed = owner.role === 'classify' || owner.role === 'steer';
  return {
    table: flow.tableId,
    priority: flow.priority,
    cookie: `0x${flow.cookie.toString(16)}`,
    role: owner.role ?? 'unknown',
    direction: reverse ? 'reverse' : 'forward',
    to_hop: directed ? inChainOrder(position + 1) : null,
    from_hop: owner.role === 'steer' ? inChainOrder(position) : null,
    match: formatMatch(flow.match),
    actions: formatInstructions(flow.instructions),
    packets: Number(flow.packetCount),
    bytes: Number(flow.byteCount),
  };
}

function formatValue(value: MatchValue): string {
  if (typeof value === 'object') return `${formatValue(value.value)}/${formatValue(value.mask)}`;
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : String(value);
}

/** `name=value` pairs in the order the switch reports them, as ovs-ofctl would print OXM names. */
export function formatMatch(match: Match): string {
  return Object.entries(match)
    .filter(([name]) => name !== 'unknownFields')
    .map(([name, value]) => `${name}=${formatValue(value as MatchValue)}`)
    .join(',');
}

export function formatActions(actions: readonly Action[]): string {
  return actions
    .map((action) => {
      switch (action.type) {
        case 'output':
          return `output:${action.port}`;
        case 'group':
          return `group:${action.groupId}`;
        case 'set_field':
          return `set_field:${formatValue(action.value)}->${action.field}`;
        default:
          return action.type;
      }
    })
    .join(',');
}

export function formatInstructions(instructions: readonly Instruction[]): string {
  if (instructions.length === 0) return 'drop';
  return instructions
    .map((instruction) => {
      switch (instruction.type) {
        case 'apply_actions':
          return formatActions(instruction.actions);
        case 'goto_table':
          return `goto_table:${instruction.tableId}`;
        case 'write_metadata':
          return `write_metadata:0x${instruction.metadata.toString(16)}`;
        default:
          return instruction.type;
      }
    })
    .join(',');
}
