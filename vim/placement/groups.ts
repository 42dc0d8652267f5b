/**
 * Affinity and anti-affinity groups. Each group is a stored document listing where its members are; a
 * placement in a group rewrites that document (at its revision) in the same commit as the claim, so two
 * concurrent placements in one group cannot both act on a stale picture of it.
 */
import type { Entity } from '../../platform/index.js';
import type { GroupPolicy, GroupScope, PlacementGroupRef } from './request.js';

export interface PlacementGroup extends Entity {
  policy: GroupPolicy;
  scope: GroupScope;
  members: Array<{ claimId: string; hostId: string; zoneId: string }>;
}

/** A group as stored (with its revision), or as it will be created by the first placement in it. */
export interface GroupState {
  ref: PlacementGroupRef;
  stored: { value: PlacementGroup; revision: number } | undefined;
}

/** The stored group says otherwise than the request: the caller must decide which is right. */
export function groupMismatch(state: GroupState): string | undefined {
  const stored = state.stored?.value;
  if (!stored || (stored.policy === state.ref.policy && stored.scope === state.ref.scope)) return undefined;
  return `group ${state.ref.id} is ${stored.policy} by ${stored.scope}, but the request says ${state.ref.policy} by ${state.ref.scope}`;
}

/** Whether a host in a zone keeps every group's rule. */
export function groupAllows(state: GroupState, hostId: string, zoneId: string): boolean {
  const members = state.stored?.value.members ?? [];
  if (members.length === 0) return true;
  const key = state.ref.scope === 'host' ? hostId : zoneId;
  const keys = members.map((member) => (state.ref.scope === 'host' ? member.hostId : member.zoneId));
  return state.ref.policy === 'affinity' ? keys.every((candidate) => candidate === key) : !keys.includes(key);
}

export function withMember(state: GroupState, tenantId: string, member: PlacementGroup['members'][number]): PlacementGroup {
  const base: PlacementGroup = state.stored?.value ?? { id: state.ref.id, tenantId, policy: state.ref.policy, scope: state.ref.scope, members: [] };
  return { ...base, members: [...base.members, member] };
}
