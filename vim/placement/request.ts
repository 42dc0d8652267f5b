/**
 * What a placement is asked for (the VDU's EPA, where it may go, the groups it belongs to) and the guest
 * shape derived from it: how many vCPUs and how much memory on each guest NUMA node, which page sizes may
 * back it, and which devices it needs.
 */
import type { PciNumaAffinityPolicy, PlacementRule, VduEpa } from '../../descriptors/index.js';
import { SMALL_PAGE_KIB, pageSizeLabel } from '../inventory/model.js';
import type { DeviceKind } from './claim.js';

export type GroupPolicy = 'affinity' | 'anti-affinity';
/** `host`: the same (or a different) host; `zone`: the same (or a different) zone. */
export type GroupScope = 'host' | 'zone';

export interface PlacementGroupRef {
  /** Unique across the deployment, e.g. `<vnfInstanceId>/<ruleId>`. */
  id: string;
  policy: GroupPolicy;
  scope: GroupScope;
}

export interface PlacementRequest {
  /** The operation that holds the claim and releases it (an LCM operation occurrence or a grant). */
  owner: string;
  tenantId: string;
  /** Makes the request idempotent: placing again with the same claim id answers the existing placement. */
  claimId?: string;
  /** What the caller calls the VNFC, kept on the claim. */
  label?: string;
  epa: VduEpa;
  /** Zone constraints from the grant: only hosts in these zones. */
  zones?: readonly string[];
  regionId?: string;
  groups?: readonly PlacementGroupRef[];
}

export type ThreadPolicy = 'prefer' | 'isolate' | 'require';

export type GuestCpu = { policy: 'shared' } | { policy: 'dedicated'; thread: ThreadPolicy; emulatorIsolated: boolean };

export interface PageOption {
  sizeKiB: number;
  /** Pages of this size the guest node needs (for small pages, 4 KiB pages: informative only). */
  pages: number;
}

export interface GuestCell {
  id: number;
  vcpus: number[];
  memoryMiB: number;
  /** Sizes that may back this node's memory, most wanted first. */
  pageOptions: PageOption[];
}

export interface DeviceRequest {
  cpId: string;
  kind: DeviceKind;
  physicalNetwork: string | undefined;
  affinity: PciNumaAffinityPolicy;
}

export interface GuestShape {
  vcpus: number;
  memoryMiB: number;
  cpu: GuestCpu;
  /** Empty when the guest has no NUMA topology: it floats over the host. */
  cells: GuestCell[];
  devices: DeviceRequest[];
  /** A vhost-user port needs OVS-DPDK on the host. */
  vhostUser: boolean;
}

export type ShapeOutcome = { ok: true; shape: GuestShape } | { ok: false; problems: string[] };

const GIB_KIB = 1024 * 1024;
const PAGE_SIZES: Readonly<Record<NonNullable<VduEpa['pageSize']>, number[]>> = {
  small: [SMALL_PAGE_KIB],
  large: [GIB_KIB, 2048],
  any: [GIB_KIB, 2048, SMALL_PAGE_KIB],
  '2MB': [2048],
  '1GB': [GIB_KIB],
};

/**
 * The guest shape of a VDU's EPA, or what makes it impossible to place anywhere. A guest gets a NUMA
 * topology when it asks for one, or for dedicated CPUs, hugepages, isolated emulator threads, or devices
 * that must be NUMA-local (`required`, `socket`): each of these only means something relative to cells.
 */
export function shapeOf(epa: VduEpa): ShapeOutcome {
  const problems: string[] = [];
  if (!Number.isInteger(epa.vcpus) || epa.vcpus < 1) problems.push(`vcpus must be a whole number above 0, not ${epa.vcpus}`);
  if (!Number.isInteger(epa.memoryMiB) || epa.memoryMiB < 1) problems.push(`memoryMiB must be a whole number above 0, not ${epa.memoryMiB}`);
  if (epa.cpuPolicy === 'shared' && epa.threadPolicy !== undefined) problems.push(`the ${epa.threadPolicy} thread policy needs dedicated CPUs`);
  if (epa.cpuPolicy === 'shared' && epa.emulatorThreadPolicy === 'isolate') problems.push('isolated emulator threads need dedicated CPUs');

  const vhostUser = epa.interfaces.some((item) => item.kind === 'vhost-user');
  let sizes = PAGE_SIZES[epa.pageSize ?? 'small'];
  if (vhostUser) {
    // vhost-user shares guest memory with the switch, which only works for hugepage-backed memory.
    sizes = sizes.filter((size) => size !== SMALL_PAGE_KIB);
    if (sizes.length === 0) problems.push('a vhost-user interface needs the guest memory in hugepages (page size large, any, 2MB or 1GB)');
  }
  const devices: DeviceRequest[] = [];
  for (const item of epa.interfaces) {
    if (item.kind !== 'sriov-vf' && item.kind !== 'pci-passthrough') continue;
    devices.push({ cpId: item.cpId, kind: item.kind, physicalNetwork: item.physicalNetwork, affinity: item.numaAffinity ?? 'legacy' });
  }
  const cpu: GuestCpu =
    epa.cpuPolicy === 'dedicated'
      ? { policy: 'dedicated', thread: epa.threadPolicy ?? 'prefer', emulatorIsolated: epa.emulatorThreadPolicy === 'isolate' }
      : { policy: 'shared' };
  const needsNuma =
    epa.numa !== undefined ||
    cpu.policy === 'dedicated' ||
    sizes.some((size) => size !== SMALL_PAGE_KIB) ||
    devices.some((device) => device.affinity === 'required' || device.affinity === 'socket');
  if (problems.length > 0) return { ok: false, problems };

  const cells: GuestCell[] = [];
  if (needsNuma) {
    const nodes = epa.numa?.nodes ?? [{ id: 0, vcpus: undefined, memoryMiB: undefined }];
    if (nodes.length > epa.vcpus) problems.push(`${nodes.length} guest NUMA nodes need at least as many vCPUs, not ${epa.vcpus}`);
    const vcpuSplit = split(epa.vcpus, nodes.length);
    const memorySplit = split(epa.memoryMiB, nodes.length);
    let nextVcpu = 0;
    nodes.forEach((node, index) => {
      const count = vcpuSplit[index] ?? 0;
      const vcpus = node.vcpus ?? Array.from({ length: count }, (_, offset) => nextVcpu + offset);
      nextVcpu += count;
      const memoryMiB = node.memoryMiB ?? memorySplit[index] ?? 0;
      const pageOptions = sizes.filter((size) => (memoryMiB * 1024) % size === 0).map((sizeKiB) => ({ sizeKiB, pages: (memoryMiB * 1024) / sizeKiB }));
      if (pageOptions.length === 0) {
        problems.push(`${memoryMiB} MiB on guest NUMA node ${node.id} is not a whole number of ${sizes.map(pageSizeLabel).join(' or ')} pages`);
      }
      if (vcpus.length === 0) problems.push(`guest NUMA node ${node.id} has no vCPU`);
      cells.push({ id: node.id, vcpus, memoryMiB, pageOptions });
    });
    const given = cells.flatMap((cell) => cell.vcpus);
    if (given.length !== epa.vcpus || new Set(given).size !== epa.vcpus || given.some((vcpu) => !Number.isInteger(vcpu) || vcpu < 0 || vcpu >= epa.vcpus)) {
      problems.push(`the guest NUMA nodes must hold each of the vCPUs 0 to ${epa.vcpus - 1} once; they hold ${given.join(',') || 'none'}`);
    }
    const memory = cells.reduce((sum, cell) => sum + cell.memoryMiB, 0);
    if (memory !== epa.memoryMiB) problems.push(`the guest NUMA nodes hold ${memory} MiB, the VDU has ${epa.memoryMiB} MiB`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, shape: { vcpus: epa.vcpus, memoryMiB: epa.memoryMiB, cpu, cells, devices, vhostUser } };
}

/** `total` in `parts` whole shares as even as can be, the larger ones first. */
function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, index) => base + (index < total % parts ? 1 : 0));
}

export type GroupsOutcome = { ok: true; groups: PlacementGroupRef[] } | { ok: false; problems: string[] };

const RULE_SCOPES: Readonly<Partial<Record<PlacementRule['scope'], GroupScope>>> = { 'nfvi-node': 'host', zone: 'zone' };

/**
 * The placement groups a VDU belongs to under its VNF's affinity rules (SOL 001 AffinityRule and
 * AntiAffinityRule), named per VNF instance so that two instances of one VNFD do not constrain each other.
 */
export function placementGroupsOf(rules: readonly PlacementRule[], vduId: string, vnfInstanceId: string): GroupsOutcome {
  const groups: PlacementGroupRef[] = [];
  const problems: string[] = [];
  for (const rule of rules) {
    if (!rule.vduIds.includes(vduId)) continue;
    const scope = RULE_SCOPES[rule.scope];
    if (scope === undefined) {
      problems.push(`placement rule ${rule.ruleId}: scope ${rule.scope} is not one this VIM places by (nfvi-node or zone)`);
      continue;
    }
    groups.push({ id: `${vnfInstanceId}/${rule.ruleId}`, policy: rule.kind, scope });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, groups };
}
