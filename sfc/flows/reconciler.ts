/**
 * Brings one switch to a desired state, touching only what is ours (flows under our cookie mark, groups in
 * our id range). Every change is one atomic, ordered bundle, so other chains' flows never see a gap:
 *
 * - `replace`: on (re)connect and when an audit finds drift. Deletes our flows by cookie mask and our groups,
 *   then adds the whole desired state, in one bundle: the way ovn-controller resyncs, never a visible
 *   delete-then-add.
 * - `apply`: on every change. Only the difference from what was last applied: groups added or changed
 *   first, then flows added, changed or removed, then groups no longer used.
 */
import { canonicalMatch, encodeBuckets, encodeInstructions, type FlowStats, type GroupDesc, type Outgoing, type SwitchConnection } from '../openflow/index.js';
import { flowKey, sameFlow, sameGroup, type DesiredFlow, type DesiredGroup, type SwitchState } from './desired.js';
import { CHAIN_COOKIE_MASK, isOurCookie, isOurGroup, OUR_COOKIE, OUR_COOKIE_MASK } from './pipeline.js';

const ALL_TABLES = 0xff;
const EXACT_COOKIE = 0xffffffffffffffffn;

export interface ApplyOutcome {
  flowMods: number;
  groupMods: number;
}

/** Differences between the switch and what we last applied, among our flows and groups. */
export interface Drift {
  missingFlows: string[];
  strayFlows: string[];
  /** Present with our match but another cookie or other instructions. */
  changedFlows: string[];
  missingGroups: number[];
  strayGroups: number[];
  /** Present with our id but another type or other buckets. */
  changedGroups: number[];
}

export function hasDrift(drift: Drift): boolean {
  return Object.values(drift).some((entries: unknown[]) => entries.length > 0);
}

export class SwitchReconciler {
  private applied: SwitchState | undefined;

  constructor(readonly connection: SwitchConnection) {}

  /** What was last applied to the switch; undefined before the first `replace`. */
  get current(): SwitchState | undefined {
    return this.applied;
  }

  async replace(desired: SwitchState): Promise<ApplyOutcome> {
    const ourGroups = (await this.switchGroups()).filter((group) => isOurGroup(group.groupId));
    const messages: Outgoing[] = [
      { type: 'flow_mod', command: 'delete', tableId: ALL_TABLES, cookie: OUR_COOKIE, cookieMask: OUR_COOKIE_MASK, outPort: 'any', outGroup: 'any', match: {}, instructions: [] },
      ...ourGroups.map((group) => groupDelete(group.groupId)),
      ...[...desired.groups.values()].map((group) => groupMod('add', group)),
      ...[...desired.flows.values()].map(flowAdd),
    ];
    await this.connection.bundle(messages);
    this.applied = desired;
    return { flowMods: desired.flows.size + 1, groupMods: ourGroups.length + desired.groups.size };
  }

  async apply(desired: SwitchState): Promise<ApplyOutcome> {
    if (!this.applied) return this.replace(desired);
    const before = this.applied;
    const groupsAdded: Outgoing[] = [];
    const groupsRemoved: Outgoing[] = [];
    for (const [groupId, group] of desired.groups) {
      const old = before.groups.get(groupId);
      if (!old) groupsAdded.push(groupMod('add', group));
      else if (!sameGroup(old, group)) groupsAdded.push(groupMod('modify', group));
    }
    for (const groupId of before.groups.keys()) if (!desired.groups.has(groupId)) groupsRemoved.push(groupDelete(groupId));
    const flowChanges: Outgoing[] = [];
    for (const [key, flow] of desired.flows) {
      const old = before.flows.get(key);
      if (!old || !sameFlow(old, flow)) flowChanges.push(flowAdd(flow));
    }
    for (const [key, flow] of before.flows) if (!desired.flows.has(key)) flowChanges.push(flowDeleteStrict(flow));
    const messages = [...groupsAdded, ...flowChanges, ...groupsRemoved];
    if (messages.length > 0) await this.connection.bundle(messages);
    this.applied = desired;
    return { flowMods: flowChanges.length, groupMods: groupsAdded.length + groupsRemoved.length };
  }

  /** Compares the switch's flows and groups that are ours with what was last applied, entry by entry. */
  async audit(): Promise<Drift> {
    const [flows, groups] = await Promise.all([this.ourSwitchFlows(), this.switchGroups()]);
    const wanted = new Map([...(this.applied?.flows.values() ?? [])].map((flow) => [flowKey(canonicalFlow(flow)), flow]));
    const onSwitch = new Map(flows.map((flow) => [flowKey(flow), flow]));
    const wantedGroups = this.applied?.groups ?? new Map<number, DesiredGroup>();
    const switchGroups = new Map(groups.filter((group) => isOurGroup(group.groupId)).map((group) => [group.groupId, group]));
    const drift: Drift = { missingFlows: [], strayFlows: [], changedFlows: [], missingGroups: [], strayGroups: [], changedGroups: [] };
    for (const [key, flow] of wanted) {
      const found = onSwitch.get(key);
      if (!found) drift.missingFlows.push(key);
      else if (found.cookie !== flow.cookie || !encodeInstructions(found.instructions).equals(encodeInstructions(flow.instructions))) drift.changedFlows.push(key);
    }
    for (const key of onSwitch.keys()) if (!wanted.has(key)) drift.strayFlows.push(key);
    for (const [groupId, group] of wantedGroups) {
      const found = switchGroups.get(groupId);
      if (!found) drift.missingGroups.push(groupId);
      else if (found.groupType !== group.groupType || !encodeBuckets(found.buckets).equals(encodeBuckets(group.buckets))) drift.changedGroups.push(groupId);
    }
    for (const groupId of switchGroups.keys()) if (!wantedGroups.has(groupId)) drift.strayGroups.push(groupId);
    return drift;
  }

  /** Our flows on the switch with their live counters; with a chain id, only that chain's (the switch filters). */
  async ourSwitchFlows(chainId?: number): Promise<FlowStats[]> {
    const [cookie, cookieMask] = chainId === undefined ? [OUR_COOKIE, OUR_COOKIE_MASK] : [OUR_COOKIE | (BigInt(chainId & 0xffff) << 16n), CHAIN_COOKIE_MASK];
    const replies = await this.connection.multipart({ kind: 'flow', tableId: ALL_TABLES, cookie, cookieMask, match: {} });
    return replies.flatMap((reply) => (reply.kind === 'flow' ? reply.flows : [])).filter((flow) => isOurCookie(flow.cookie));
  }

  async switchGroups(): Promise<GroupDesc[]> {
    const replies = await this.connection.multipart({ kind: 'group_desc' });
    return replies.flatMap((reply) => (reply.kind === 'group_desc' ? reply.groups : []));
  }
}

/** A flow as the switch will report it: masked values the way the codec decodes them. */
function canonicalFlow(flow: DesiredFlow): DesiredFlow {
  return { ...flow, match: canonicalMatch(flow.match) };
}

function flowAdd(flow: DesiredFlow): Outgoing {
  return { type: 'flow_mod', command: 'add', tableId: flow.tableId, priority: flow.priority, cookie: flow.cookie, match: flow.match, instructions: flow.instructions };
}

function flowDeleteStrict(flow: DesiredFlow): Outgoing {
  return {
    type: 'flow_mod',
    command: 'delete_strict',
    tableId: flow.tableId,
    priority: flow.priority,
    cookie: flow.cookie,
    cookieMask: EXACT_COOKIE,
    outPort: 'any',
    outGroup: 'any',
    match: flow.match,
    instructions: [],
  };
}

function groupMod(command: 'add' | 'modify', group: DesiredGroup): Outgoing {
  return { type: 'group_mod', command, groupType: group.groupType, groupId: group.groupId, buckets: group.buckets };
}

function groupDelete(groupId: number): Outgoing {
  return { type: 'group_mod', command: 'delete', groupType: 'all', groupId, buckets: [] };
}
