/**
 * Turns a fit into concrete resources on a host document: which threads each vCPU is pinned to, which
 * siblings stay idle, which pool the pages come from, which VF of each chosen function. The result is the
 * next host document and the claim; the scheduler writes both in one commit. Releasing is the inverse.
 */
import {
  SMALL_PAGE_KIB,
  type Cpu,
  type Host,
  type HostInventory,
  type NumaCell,
} from '../inventory/model.js';
import type { Claim, ClaimedCell, ClaimedDevice } from './claim.js';
import type { Fit } from './fitter.js';
import type { GuestShape, ThreadPolicy } from './request.js';

export interface ClaimIdentity {
  id: string;
  tenantId: string;
  owner: string;
  label: string | undefined;
  createdAt: string;
  groups: string[];
}

/** A fit computed from this very host document always pins; anything else is a defect, not a refusal. */
export class PinningDefect extends Error {
  constructor(hostId: string, reason: string) {
    super(`cannot pin a fit on host ${hostId}: ${reason}`);
    this.name = 'PinningDefect';
  }
}

export function pinFit(host: Host, shape: GuestShape, fit: Fit, identity: ClaimIdentity): { host: Host; claim: Claim } {
  const next = structuredClone(host);
  const inventory = next.inventory;
  if (!inventory) throw new PinningDefect(host.id, 'the host has no inventory');
  const cells: ClaimedCell[] = [];
  const emulatorCpus: number[] = [];
  for (const placement of fit.cells) {
    const guest = shape.cells[placement.guestCell];
    const cell = inventory.cells[placement.hostCell];
    if (!guest || !cell) throw new PinningDefect(host.id, `guest node ${placement.guestCell} or cell ${placement.hostCell} is missing`);
    let pinning: ClaimedCell['pinning'] = [];
    let reservedCpus: number[] = [];
    if (shape.cpu.policy === 'dedicated') {
      const picked = pickThreads(cell, shape.cpu.thread, guest.vcpus.length, fit.emulatorCell === placement.hostCell);
      if (!picked) throw new PinningDefect(host.id, `cell ${cell.id} has too few free threads`);
      pinning = guest.vcpus.map((vcpu, index) => ({ vcpu, cpu: picked.vcpus[index] ?? -1 }));
      reservedCpus = picked.reserved;
      if (picked.emulator !== undefined) emulatorCpus.push(picked.emulator);
      const mine = new Set([...picked.vcpus, ...picked.reserved, ...(picked.emulator === undefined ? [] : [picked.emulator])]);
      for (const cpu of cell.cpus) if (mine.has(cpu.id)) cpu.claimedBy = identity.id;
    }
    if (placement.pageSizeKiB === SMALL_PAGE_KIB) {
      cell.memory.reservedByUsMiB += guest.memoryMiB;
    } else {
      const pool = cell.hugepages.find((candidate) => candidate.sizeKiB === placement.pageSizeKiB);
      if (!pool) throw new PinningDefect(host.id, `cell ${cell.id} has no ${placement.pageSizeKiB} KiB pages`);
      pool.reservedByUs += (guest.memoryMiB * 1024) / placement.pageSizeKiB;
    }
    cells.push({ guestCell: guest.id, hostCell: cell.id, vcpus: [...guest.vcpus], pinning, reservedCpus, memoryMiB: guest.memoryMiB, pageSizeKiB: placement.pageSizeKiB });
  }
  const devices = fit.devices.map((placement): ClaimedDevice => {
    const request = shape.devices[placement.request];
    const pf = inventory.physicalFunctions[placement.pf];
    if (!request || !pf) throw new PinningDefect(host.id, `device ${placement.request} or function ${placement.pf} is missing`);
    let vf: ClaimedDevice['vf'];
    if (request.kind === 'pci-passthrough') {
      pf.claimedBy = identity.id;
    } else {
      const free = pf.vfs.find((candidate) => candidate.claimedBy === undefined);
      if (!free) throw new PinningDefect(host.id, `${pf.netdev} has no free VF`);
      free.claimedBy = identity.id;
      vf = { index: free.index, address: free.address };
    }
    return { cpId: request.cpId, kind: request.kind, pfAddress: pf.address, netdev: pf.netdev, vf, numaNode: pf.numaNode, physicalNetwork: pf.physicalNetwork };
  });
  const sharedVcpus = shape.cpu.policy === 'shared' ? shape.vcpus : 0;
  const floatingMemoryMiB = shape.cells.length === 0 ? shape.memoryMiB : 0;
  next.usage = {
    claimIds: [...next.usage.claimIds, identity.id],
    sharedVcpus: next.usage.sharedVcpus + sharedVcpus,
    floatingMemoryMiB: next.usage.floatingMemoryMiB + floatingMemoryMiB,
  };
  const claim: Claim = {
    id: identity.id,
    tenantId: identity.tenantId,
    owner: identity.owner,
    label: identity.label,
    hostId: host.id,
    zoneId: host.zoneId,
    regionId: host.regionId,
    createdAt: identity.createdAt,
    cells,
    emulatorCpus,
    sharedVcpus,
    floatingMemoryMiB,
    devices,
    groups: identity.groups,
  };
  return { host: next, claim };
}

interface PickedThreads {
  vcpus: number[];
  reserved: number[];
  emulator: number | undefined;
}

interface Core {
  threads: Cpu[];
  free: Cpu[];
}

function coresOf(cell: NumaCell): Core[] {
  const cores = new Map<string, Core>();
  for (const cpu of [...cell.cpus].sort((a, b) => a.id - b.id)) {
    const key = cpu.siblings.join(',');
    const core = cores.get(key) ?? { threads: [], free: [] };
    core.threads.push(cpu);
    if (cpu.role === 'guest' && cpu.claimedBy === undefined) core.free.push(cpu);
    cores.set(key, core);
  }
  return [...cores.values()];
}

const isWhole = (core: Core): boolean => core.free.length === core.threads.length;

/**
 * `prefer` keeps a guest's vCPUs on sibling threads (whole cores first) and puts an odd one into a half-used
 * core when there is one, so no new half-used core appears; `isolate` gives each vCPU a whole core and keeps
 * its siblings idle; `require` fills whole cores thread by thread.
 */
function pickThreads(cell: NumaCell, policy: ThreadPolicy, vcpus: number, emulator: boolean): PickedThreads | undefined {
  const cores = coresOf(cell);
  const width = Math.max(1, ...cores.map((core) => core.threads.length));
  const whole = cores.filter(isWhole);
  const ids = (cpus: readonly Cpu[]): number[] => cpus.map((cpu) => cpu.id);
  if (policy === 'prefer') {
    const wanted = vcpus + (emulator ? 1 : 0);
    const taken: number[] = [];
    while (taken.length + width <= wanted && whole.length > 0) taken.push(...ids(whole.shift()?.free ?? []));
    const rest = wanted - taken.length;
    const partial = cores.filter((core) => core.free.length > 0 && !isWhole(core)).sort((a, b) => a.free.length - b.free.length);
    const partialFree = partial.reduce((sum, core) => sum + core.free.length, 0);
    const sources = partialFree >= rest ? partial : [...whole, ...partial];
    for (const core of sources) for (const cpu of core.free) if (taken.length < wanted && !taken.includes(cpu.id)) taken.push(cpu.id);
    if (taken.length < wanted) return undefined;
    return { vcpus: taken.slice(0, vcpus), reserved: [], emulator: emulator ? taken[vcpus] : undefined };
  }
  const picked: PickedThreads = { vcpus: [], reserved: [], emulator: undefined };
  const takeCore = (core: Core | undefined, use: number): number[] | undefined => {
    if (!core) return undefined;
    const threads = ids(core.threads);
    picked.reserved.push(...threads.slice(use));
    return threads.slice(0, use);
  };
  if (policy === 'isolate') {
    // Narrower cores first: full-width ones stay for `require` guests.
    const byWidth = [...whole].sort((a, b) => a.threads.length - b.threads.length);
    for (let index = 0; index < vcpus; index += 1) {
      const used = takeCore(byWidth.shift(), 1);
      if (!used) return undefined;
      picked.vcpus.push(...used);
    }
    if (emulator) picked.emulator = takeCore(byWidth.shift(), 1)?.[0];
  } else {
    const full = whole.filter((core) => core.threads.length === width);
    while (picked.vcpus.length < vcpus) {
      const core = full.shift();
      const used = takeCore(core, Math.min(width, vcpus - picked.vcpus.length));
      if (!core || !used) return undefined;
      whole.splice(whole.indexOf(core), 1);
      picked.vcpus.push(...used);
    }
    if (emulator) picked.emulator = takeCore(whole.sort((a, b) => a.threads.length - b.threads.length).shift(), 1)?.[0];
  }
  if (emulator && picked.emulator === undefined) return undefined;
  return picked;
}

/** The host document with everything the claim held given back. */
export function releaseFromHost(host: Host, claim: Claim): Host {
  const next = structuredClone(host);
  next.usage = {
    claimIds: next.usage.claimIds.filter((id) => id !== claim.id),
    sharedVcpus: Math.max(0, next.usage.sharedVcpus - claim.sharedVcpus),
    floatingMemoryMiB: Math.max(0, next.usage.floatingMemoryMiB - claim.floatingMemoryMiB),
  };
  const inventory: HostInventory | undefined = next.inventory;
  if (!inventory) return next;
  for (const cell of inventory.cells) {
    for (const cpu of cell.cpus) if (cpu.claimedBy === claim.id) delete cpu.claimedBy;
    for (const claimed of claim.cells.filter((candidate) => candidate.hostCell === cell.id)) {
      if (claimed.pageSizeKiB === SMALL_PAGE_KIB) {
        cell.memory.reservedByUsMiB = Math.max(0, cell.memory.reservedByUsMiB - claimed.memoryMiB);
        continue;
      }
      const pool = cell.hugepages.find((candidate) => candidate.sizeKiB === claimed.pageSizeKiB);
      if (pool) pool.reservedByUs = Math.max(0, pool.reservedByUs - (claimed.memoryMiB * 1024) / claimed.pageSizeKiB);
    }
  }
  for (const pf of inventory.physicalFunctions) {
    if (pf.claimedBy === claim.id) delete pf.claimedBy;
    for (const vf of pf.vfs) if (vf.claimedBy === claim.id) delete vf.claimedBy;
  }
  return next;
}
