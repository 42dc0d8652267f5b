import type { Bucket, GroupType, Instruction, Match, MatchValue } from '../openflow/index.js';

/** One flow we want on a switch. Its identity on the switch is (table, priority, match). */
export interface DesiredFlow {
  tableId: number;
  priority: number;
  cookie: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface DesiredGroup {
  groupId: number;
  groupType: GroupType;
  buckets: Bucket[];
}

/** Everything we want on one switch; keyed so that two states can be compared entry by entry. */
export interface SwitchState {
  flows: Map<string, DesiredFlow>;
  groups: Map<number, DesiredGroup>;
}

export function emptySwitchState(): SwitchState {
  return { flows: new Map(), groups: new Map() };
}

function canonicalValue(value: MatchValue): string {
  if (typeof value === 'object') return `${canonicalValue(value.value)}/${canonicalValue(value.mask)}`;
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : String(value).toLowerCase();
}

/** A match as text with its fields in name order: equal matches give equal text. */
export function matchKey(match: Match): string {
  return Object.keys(match)
    .filter((name) => name !== 'unknownFields')
    .sort()
    .map((name) => `${name}=${canonicalValue(match[name as keyof Omit<Match, 'unknownFields'>] as MatchValue)}`)
    .join(',');
}

export function flowKey(flow: Pick<DesiredFlow, 'tableId' | 'priority' | 'match'>): string {
  return `table=${flow.tableId},priority=${flow.priority},${matchKey(flow.match)}`;
}

/** Adds a flow unless one with the same identity is already wanted (the first one wins, deterministically). */
export function addFlow(state: SwitchState, flow: DesiredFlow): void {
  const key = flowKey(flow);
  if (!state.flows.has(key)) state.flows.set(key, flow);
}

const stringify = (value: unknown): string => JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `0x${item.toString(16)}` : item));

export function sameFlow(a: DesiredFlow, b: DesiredFlow): boolean {
  if (a === b) return true;
  return a.cookie === b.cookie && stringify(a.instructions) === stringify(b.instructions);
}

export function sameGroup(a: DesiredGroup, b: DesiredGroup): boolean {
  if (a === b) return true;
  return a.groupType === b.groupType && stringify(a.buckets) === stringify(b.buckets);
}
