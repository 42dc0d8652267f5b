/**
 * Why a placement was refused, as a value: for each constraint, how many hosts it ruled out (each host is
 * counted once, under the first constraint it fails), and one sentence that says it all, e.g.
 * "no host in zone z1 has 8 dedicated sibling-isolated CPUs and 8 GiB of 1G pages on one NUMA node:
 * 312 hosts lack 1G pages, 40 lack CPUs, 7 lack VFs on physnet `sriov-a`". A host is checked for its
 * state and datapath, then for capacity (CPUs, memory, devices, their NUMA layout), then for group rules.
 */
import { SMALL_PAGE_KIB, pageSizeLabel } from '../inventory/model.js';
import type { Lack } from './fitter.js';
import type { GuestShape } from './request.js';

export type HostRuledOut =
  | { constraint: 'drained' | 'down' | 'no-inventory' | 'ovs-dpdk' }
  | { constraint: 'affinity' | 'anti-affinity'; group: string }
  | Lack;

export type RefusalReason = HostRuledOut & { hosts: number };

export type RefusalKind = 'invalid-request' | 'no-host' | 'contention';

export interface PlacementRefusal {
  kind: RefusalKind;
  message: string;
  /** Hosts in the zones (or region) the request may use. */
  hostsInScope: number;
  /** Most hosts first; the counts add up to `hostsInScope`. */
  reasons: RefusalReason[];
  /** What is wrong with the request itself (`invalid-request`). */
  problems: string[];
}

export function invalidRequest(problems: string[]): PlacementRefusal {
  return { kind: 'invalid-request', message: `the placement request cannot be met by any host: ${problems.join('; ')}`, hostsInScope: 0, reasons: [], problems };
}

export function contention(attempts: number): PlacementRefusal {
  return {
    kind: 'contention',
    message: `every host tried changed before it could be claimed (${attempts} attempts, lost to concurrent placements); nothing was claimed, the request may be retried`,
    hostsInScope: 0,
    reasons: [],
    problems: [],
  };
}

export interface Scope {
  zones: readonly string[] | undefined;
  regionId: string | undefined;
}

/** The order in which a host is checked, which also orders reasons ruling out as many hosts. */
const CONSTRAINT_ORDER: ReadonlyArray<RefusalReason['constraint']> = [
  'drained',
  'down',
  'no-inventory',
  'ovs-dpdk',
  'cpus',
  'shared-cpus',
  'memory',
  'hugepages',
  'vfs',
  'pci-devices',
  'numa-layout',
  'affinity',
  'anti-affinity',
];

export function noHost(shape: GuestShape, scope: Scope, hostsInScope: number, ruledOut: ReadonlyMap<string, RefusalReason>): PlacementRefusal {
  const where = scopeText(scope);
  const reasons = [...ruledOut.values()].sort((a, b) => b.hosts - a.hosts || CONSTRAINT_ORDER.indexOf(a.constraint) - CONSTRAINT_ORDER.indexOf(b.constraint));
  const message =
    hostsInScope === 0
      ? `no host ${where}: there are no hosts there`
      : `no host ${where} has ${requirementText(shape)}: ${reasons.map((reason, index) => reasonText(reason, index === 0)).join(', ')}`;
  return { kind: 'no-host', message, hostsInScope, reasons, problems: [] };
}

/** Groups hosts ruled out for the same reason under one key. */
export function reasonKey(reason: HostRuledOut): string {
  switch (reason.constraint) {
    case 'affinity':
    case 'anti-affinity':
      return `${reason.constraint}:${reason.group}`;
    case 'hugepages':
      return `hugepages:${reason.sizesKiB.join(',')}`;
    case 'vfs':
    case 'pci-devices':
      return `${reason.constraint}:${reason.physicalNetwork ?? ''}`;
    default:
      return reason.constraint;
  }
}

function scopeText(scope: Scope): string {
  if (scope.zones && scope.zones.length > 0) return `in zone${scope.zones.length > 1 ? 's' : ''} ${scope.zones.join(', ')}`;
  if (scope.regionId !== undefined) return `in region ${scope.regionId}`;
  return 'in any zone';
}

export function memoryText(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

const network = (physnet: string | undefined): string => (physnet === undefined ? 'any physnet' : `physnet \`${physnet}\``);

function requirementText(shape: GuestShape): string {
  const parts: string[] = [];
  const cpu = shape.cpu;
  if (cpu.policy === 'shared') parts.push(`${shape.vcpus} shared vCPUs`);
  else {
    const kind = { prefer: 'dedicated CPUs', isolate: 'dedicated sibling-isolated CPUs', require: 'dedicated CPUs on whole cores' }[cpu.thread];
    parts.push(`${shape.vcpus} ${kind}${cpu.emulatorIsolated ? ' (+1 for emulator threads)' : ''}`);
  }
  const sizes = [...new Set(shape.cells.flatMap((cell) => cell.pageOptions.map((option) => option.sizeKiB)))];
  const huge = sizes.filter((size) => size !== SMALL_PAGE_KIB).map(pageSizeLabel);
  if (huge.length === 0) parts.push(`${memoryText(shape.memoryMiB)} of memory`);
  else parts.push(`${memoryText(shape.memoryMiB)} of ${huge.join(' or ')}${sizes.includes(SMALL_PAGE_KIB) ? ' or small' : ''} pages`);
  const devices = new Map<string, { passthrough: boolean; where: string; count: number }>();
  for (const device of shape.devices) {
    const affinity = device.affinity === 'legacy' ? '' : ` (${device.affinity} NUMA affinity)`;
    const where = ` on ${network(device.physicalNetwork)}${affinity}`;
    const key = `${device.kind}${where}`;
    const entry = devices.get(key) ?? { passthrough: device.kind === 'pci-passthrough', where, count: 0 };
    entry.count += 1;
    devices.set(key, entry);
  }
  for (const { passthrough, where, count } of devices.values()) {
    const plural = count === 1 ? '' : 's';
    parts.push(`${count} ${passthrough ? `passthrough function${plural}` : `VF${plural}`}${where}`);
  }
  if (shape.vhostUser) parts.push('OVS-DPDK for vhost-user');
  const joined = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : (parts[0] ?? '');
  if (shape.cells.length === 1) return `${joined} on one NUMA node`;
  if (shape.cells.length > 1) return `${joined} across ${shape.cells.length} NUMA nodes`;
  return joined;
}

function reasonText(reason: RefusalReason, first: boolean): string {
  const one = reason.hosts === 1;
  const subject = first ? `${reason.hosts} host${one ? '' : 's'}` : `${reason.hosts}`;
  const lack = one ? 'lacks' : 'lack';
  const are = one ? 'is' : 'are';
  const have = one ? 'has' : 'have';
  switch (reason.constraint) {
    case 'drained':
      return `${subject} ${are} drained`;
    case 'down':
      return `${subject} ${are} down`;
    case 'no-inventory':
      return `${subject} ${have} no inventory yet`;
    case 'ovs-dpdk':
      return `${subject} ${have} no OVS-DPDK (needed for vhost-user)`;
    case 'affinity':
      return `${subject} would break affinity group \`${reason.group}\``;
    case 'anti-affinity':
      return `${subject} would break anti-affinity group \`${reason.group}\``;
    case 'cpus':
      return `${subject} ${lack} CPUs`;
    case 'shared-cpus':
      return `${subject} ${lack} shared vCPU capacity`;
    case 'memory':
      return `${subject} ${lack} memory`;
    case 'hugepages':
      return `${subject} ${lack} ${reason.sizesKiB.map(pageSizeLabel).join(' or ')} pages`;
    case 'vfs':
      return `${subject} ${lack} VFs on ${network(reason.physicalNetwork)}`;
    case 'pci-devices':
      return `${subject} ${lack} a free physical function on ${network(reason.physicalNetwork)}`;
    case 'numa-layout':
      return `${subject} ${have} each resource, but not together on the same NUMA node(s)`;
  }
}
