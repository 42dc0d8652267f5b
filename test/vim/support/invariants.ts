/**
 * Every rule a set of claims must keep on the stored host documents, checked from the documents alone (no
 * placement code is used): what each claim holds fits what its request asked for, no two claims share a
 * CPU, VF or PF, every counter on a host equals the sum of its claims and stays within the hardware.
 * Answers the violations found, as sentences; none means the store is consistent.
 */
import type { VduEpa } from '../../../descriptors/index.js';
import type { Claim, Host, PlacementGroupRef } from '../../../vim/index.js';

export interface PlacedRequest {
  epa: VduEpa;
  zones: readonly string[] | undefined;
  groups: readonly PlacementGroupRef[];
}

const SMALL = 4;

function allowedPageSizes(epa: VduEpa): number[] {
  const sizes: Record<string, number[]> = { small: [SMALL], large: [1048576, 2048], any: [1048576, 2048, SMALL], '2MB': [2048], '1GB': [1048576] };
  const allowed = sizes[epa.pageSize ?? 'small'] ?? [];
  return epa.interfaces.some((item) => item.kind === 'vhost-user') ? allowed.filter((size) => size !== SMALL) : allowed;
}

export function violations(hosts: readonly Host[], claims: readonly Claim[], requests: ReadonlyMap<string, PlacedRequest>, cpuAllocationRatio: number): string[] {
  const found: string[] = [];
  const fail = (message: string): void => {
    found.push(message);
  };
  const hostById = new Map(hosts.map((host) => [host.id, host]));
  const cpuOwners = new Map<string, string>();
  const vfOwners = new Map<string, string>();
  const pfOwners = new Map<string, string>();
  const take = (owners: Map<string, string>, key: string, claim: string, what: string): void => {
    const owner = owners.get(key);
    if (owner !== undefined && owner !== claim) fail(`${what} ${key} is held by both ${owner} and ${claim}`);
    owners.set(key, claim);
  };

  for (const claim of claims) {
    const request = requests.get(claim.id);
    const host = hostById.get(claim.hostId);
    const inventory = host?.inventory;
    if (!request || !host || !inventory) {
      fail(`claim ${claim.id} has no request, host or inventory`);
      continue;
    }
    const epa = request.epa;
    const at = `claim ${claim.id} on ${host.id}`;
    if (request.zones && request.zones.length > 0 && !request.zones.includes(host.zoneId)) fail(`${at}: zone ${host.zoneId} is not one of ${request.zones.join(',')}`);
    if (host.adminState !== 'enabled' || host.health !== 'up') fail(`${at}: host is ${host.adminState}/${host.health}`);
    if (epa.interfaces.some((item) => item.kind === 'vhost-user') && !inventory.ovsDpdk) fail(`${at}: vhost-user on a host without OVS-DPDK`);

    const cpus = new Map(inventory.cells.flatMap((cell) => cell.cpus.map((cpu) => [cpu.id, { ...cpu, cell: cell.id }] as const)));
    const cellSocket = new Map(inventory.cells.map((cell) => [cell.id, cell.cpus[0]?.socket]));
    const hostCells = claim.cells.map((cell) => cell.hostCell);
    if (new Set(hostCells).size !== hostCells.length) fail(`${at}: two guest nodes on one host cell`);
    const wantsNuma =
      epa.numa !== undefined ||
      epa.cpuPolicy === 'dedicated' ||
      allowedPageSizes(epa).some((size) => size !== SMALL) ||
      epa.interfaces.some((item) => (item.kind === 'sriov-vf' || item.kind === 'pci-passthrough') && (item.numaAffinity === 'required' || item.numaAffinity === 'socket'));
    const guestNodes = wantsNuma ? (epa.numa?.nodes.length ?? 1) : 0;
    if (claim.cells.length !== guestNodes) fail(`${at}: ${claim.cells.length} guest nodes, expected ${guestNodes}`);
    const vcpus = claim.cells.flatMap((cell) => cell.vcpus).sort((a, b) => a - b);
    if (wantsNuma && vcpus.join(',') !== Array.from({ length: epa.vcpus }, (_, index) => index).join(',')) fail(`${at}: guest vCPUs ${vcpus.join(',')}`);
    if (claim.cells.reduce((sum, cell) => sum + cell.memoryMiB, 0) !== (wantsNuma ? epa.memoryMiB : 0)) fail(`${at}: cell memory does not add up to the VDU's`);
    if (claim.floatingMemoryMiB !== (wantsNuma ? 0 : epa.memoryMiB)) fail(`${at}: floating memory ${claim.floatingMemoryMiB}`);

    const held = new Set<number>();
    for (const cell of claim.cells) {
      for (const node of epa.numa?.nodes ?? []) {
        if (node.id === cell.guestCell && node.vcpus && node.vcpus.join(',') !== cell.vcpus.join(',')) fail(`${at}: guest node ${node.id} got vCPUs ${cell.vcpus.join(',')}`);
        if (node.id === cell.guestCell && node.memoryMiB !== undefined && node.memoryMiB !== cell.memoryMiB) fail(`${at}: guest node ${node.id} got ${cell.memoryMiB} MiB`);
      }
      if (!allowedPageSizes(epa).includes(cell.pageSizeKiB)) fail(`${at}: page size ${cell.pageSizeKiB} KiB was not asked for`);
      if ((cell.memoryMiB * 1024) % cell.pageSizeKiB !== 0) fail(`${at}: ${cell.memoryMiB} MiB is not whole ${cell.pageSizeKiB} KiB pages`);
      if (epa.cpuPolicy === 'shared') {
        if (cell.pinning.length > 0 || cell.reservedCpus.length > 0) fail(`${at}: a shared-CPU guest pins CPUs`);
        continue;
      }
      if (cell.pinning.map((pin) => pin.vcpu).join(',') !== cell.vcpus.join(',')) fail(`${at}: pinning does not cover the node's vCPUs`);
      for (const cpu of [...cell.pinning.map((pin) => pin.cpu), ...cell.reservedCpus]) {
        const known = cpus.get(cpu);
        if (!known || known.cell !== cell.hostCell) fail(`${at}: CPU ${cpu} is not on cell ${cell.hostCell}`);
        held.add(cpu);
      }
      const pinned = cell.pinning.map((pin) => pin.cpu);
      if (new Set(pinned).size !== pinned.length) fail(`${at}: two vCPUs on one CPU`);
      const policy = epa.threadPolicy ?? 'prefer';
      if (policy === 'isolate') {
        for (const cpu of pinned) {
          const siblings = cpus.get(cpu)?.siblings ?? [];
          if (siblings.filter((sibling) => pinned.includes(sibling)).length !== 1) fail(`${at}: isolated vCPU on CPU ${cpu} shares its core`);
          for (const sibling of siblings) if (sibling !== cpu && !cell.reservedCpus.includes(sibling)) fail(`${at}: sibling ${sibling} of isolated CPU ${cpu} is not kept idle`);
        }
      }
      if (policy === 'require') {
        const cores = new Set(pinned.map((cpu) => (cpus.get(cpu)?.siblings ?? []).join(',')));
        for (const core of cores) {
          const threads = core.split(',').map(Number);
          if (threads.length < 2) fail(`${at}: require on a core without SMT`);
          for (const thread of threads) if (!pinned.includes(thread) && !cell.reservedCpus.includes(thread)) fail(`${at}: core ${core} is not wholly this guest's`);
        }
        const width = Math.max(...[...cores].map((core) => core.split(',').length));
        if (cores.size !== Math.ceil(pinned.length / width)) fail(`${at}: ${pinned.length} vCPUs spread over ${cores.size} cores`);
      }
    }
    const emulatorWanted = epa.cpuPolicy === 'dedicated' && epa.emulatorThreadPolicy === 'isolate' ? 1 : 0;
    if (claim.emulatorCpus.length !== emulatorWanted) fail(`${at}: ${claim.emulatorCpus.length} emulator CPUs`);
    for (const cpu of claim.emulatorCpus) {
      const known = cpus.get(cpu);
      if (!known || !hostCells.includes(known.cell)) fail(`${at}: emulator CPU ${cpu} is off the guest's cells`);
      if (held.has(cpu)) fail(`${at}: emulator CPU ${cpu} also runs a vCPU`);
      held.add(cpu);
    }
    for (const cpu of held) {
      const known = cpus.get(cpu);
      if (known?.role !== 'guest') fail(`${at}: CPU ${cpu} is for the ${known?.role ?? 'void'}`);
      if (known?.claimedBy !== claim.id) fail(`${at}: CPU ${cpu} is marked for ${known?.claimedBy ?? 'nobody'}`);
      take(cpuOwners, `${host.id}/${cpu}`, claim.id, 'CPU');
    }
    if (claim.sharedVcpus !== (epa.cpuPolicy === 'shared' ? epa.vcpus : 0)) fail(`${at}: ${claim.sharedVcpus} shared vCPUs`);

    const wanted = epa.interfaces.filter((item) => item.kind === 'sriov-vf' || item.kind === 'pci-passthrough');
    if (claim.devices.map((device) => device.cpId).sort().join(',') !== wanted.map((item) => item.cpId).sort().join(',')) fail(`${at}: devices do not match the interfaces`);
    for (const device of claim.devices) {
      const item = wanted.find((candidate) => candidate.cpId === device.cpId);
      const pf = inventory.physicalFunctions.find((candidate) => candidate.address === device.pfAddress);
      if (!item || !pf) {
        fail(`${at}: device ${device.cpId} on unknown function ${device.pfAddress}`);
        continue;
      }
      if (item.physicalNetwork !== undefined && pf.physicalNetwork !== item.physicalNetwork) fail(`${at}: ${device.cpId} on physnet ${pf.physicalNetwork} instead of ${item.physicalNetwork}`);
      if (item.kind !== device.kind) fail(`${at}: ${device.cpId} got a ${device.kind}`);
      const local = pf.numaNode !== undefined && hostCells.includes(pf.numaNode);
      const sameSocket = pf.numaNode !== undefined && hostCells.some((cell) => cellSocket.get(cell) === cellSocket.get(pf.numaNode as number));
      const policy = item.numaAffinity ?? 'legacy';
      if (claim.cells.length > 0) {
        if (policy === 'required' && !local) fail(`${at}: ${device.cpId} (required) on NUMA node ${pf.numaNode}, guest on ${hostCells.join(',')}`);
        if (policy === 'socket' && !sameSocket) fail(`${at}: ${device.cpId} (socket) on another socket`);
        if (policy === 'legacy' && pf.numaNode !== undefined && !local) fail(`${at}: ${device.cpId} (legacy) on NUMA node ${pf.numaNode}, guest on ${hostCells.join(',')}`);
      }
      if (device.kind === 'pci-passthrough') {
        if (pf.claimedBy !== claim.id) fail(`${at}: passed-through ${pf.address} is marked for ${pf.claimedBy ?? 'nobody'}`);
        take(pfOwners, `${host.id}/${pf.address}`, claim.id, 'PF');
      } else {
        const vf = pf.vfs.find((candidate) => candidate.address === device.vf?.address && candidate.index === device.vf?.index);
        if (!vf || vf.claimedBy !== claim.id) fail(`${at}: VF ${device.vf?.address} is not marked for it`);
        take(vfOwners, `${host.id}/${device.vf?.address}`, claim.id, 'VF');
      }
    }
  }

  for (const host of hosts) {
    const mine = claims.filter((claim) => claim.hostId === host.id);
    if ([...host.usage.claimIds].sort().join(',') !== mine.map((claim) => claim.id).sort().join(',')) fail(`${host.id}: usage lists claims ${host.usage.claimIds.join(',')}`);
    const inventory = host.inventory;
    if (!inventory) {
      if (mine.length > 0) fail(`${host.id}: claims on a host without inventory`);
      continue;
    }
    let unpinned = 0;
    let smallFree = 0;
    for (const cell of inventory.cells) {
      for (const cpu of cell.cpus) {
        if (cpu.claimedBy !== undefined && cpuOwners.get(`${host.id}/${cpu.id}`) !== cpu.claimedBy) fail(`${host.id}: CPU ${cpu.id} is marked for ${cpu.claimedBy} without a claim holding it`);
        if (cpu.role === 'guest' && cpu.claimedBy === undefined) unpinned += 1;
      }
      for (const pool of cell.hugepages) {
        const pages = mine.flatMap((claim) => claim.cells).filter((claimed) => claimed.hostCell === cell.id && claimed.pageSizeKiB === pool.sizeKiB).reduce((sum, claimed) => sum + (claimed.memoryMiB * 1024) / pool.sizeKiB, 0);
        if (pool.reservedByUs !== pages) fail(`${host.id}: cell ${cell.id} counts ${pool.reservedByUs} ${pool.sizeKiB} KiB pages claimed, the claims hold ${pages}`);
        if (pool.reservedByUs + pool.reservedForHost > pool.total) fail(`${host.id}: cell ${cell.id} gives out more ${pool.sizeKiB} KiB pages than it has`);
      }
      const small = mine.flatMap((claim) => claim.cells).filter((claimed) => claimed.hostCell === cell.id && claimed.pageSizeKiB === SMALL).reduce((sum, claimed) => sum + claimed.memoryMiB, 0);
      if (cell.memory.reservedByUsMiB !== small) fail(`${host.id}: cell ${cell.id} counts ${cell.memory.reservedByUsMiB} MiB claimed, the claims hold ${small}`);
      const hugeMiB = cell.hugepages.reduce((sum, pool) => sum + (pool.total * pool.sizeKiB) / 1024, 0);
      const room = Math.floor(cell.memory.totalMiB - hugeMiB) - cell.memory.reservedForHostMiB;
      if (small > room) fail(`${host.id}: cell ${cell.id} gives out ${small} MiB of ${room}`);
      smallFree += room - small;
    }
    for (const pf of inventory.physicalFunctions) {
      if (pf.claimedBy !== undefined && pfOwners.get(`${host.id}/${pf.address}`) !== pf.claimedBy) fail(`${host.id}: PF ${pf.address} is marked without a claim`);
      for (const vf of pf.vfs) {
        if (vf.claimedBy !== undefined && vfOwners.get(`${host.id}/${vf.address}`) !== vf.claimedBy) fail(`${host.id}: VF ${vf.address} is marked without a claim`);
        if (vf.claimedBy !== undefined && pf.claimedBy !== undefined) fail(`${host.id}: VF ${vf.address} of a passed-through PF is claimed`);
      }
    }
    const shared = mine.reduce((sum, claim) => sum + claim.sharedVcpus, 0);
    if (host.usage.sharedVcpus !== shared) fail(`${host.id}: counts ${host.usage.sharedVcpus} shared vCPUs, the claims hold ${shared}`);
    if (shared > Math.floor(unpinned * cpuAllocationRatio)) fail(`${host.id}: ${shared} shared vCPUs on ${unpinned} unpinned threads`);
    const floating = mine.reduce((sum, claim) => sum + claim.floatingMemoryMiB, 0);
    if (host.usage.floatingMemoryMiB !== floating) fail(`${host.id}: counts ${host.usage.floatingMemoryMiB} MiB floating, the claims hold ${floating}`);
    if (floating > smallFree) fail(`${host.id}: ${floating} MiB floating with ${smallFree} MiB left`);
  }

  const groups = new Map<string, { ref: PlacementGroupRef; members: Claim[] }>();
  for (const claim of claims) {
    for (const ref of requests.get(claim.id)?.groups ?? []) {
      const group = groups.get(ref.id) ?? { ref, members: [] };
      group.members.push(claim);
      groups.set(ref.id, group);
    }
  }
  for (const { ref, members } of groups.values()) {
    const keys = members.map((claim) => (ref.scope === 'host' ? claim.hostId : claim.zoneId));
    if (ref.policy === 'affinity' && new Set(keys).size > 1) fail(`affinity group ${ref.id} spans ${[...new Set(keys)].join(',')}`);
    if (ref.policy === 'anti-affinity' && new Set(keys).size !== keys.length) fail(`anti-affinity group ${ref.id} has two members on one ${ref.scope}`);
  }
  return found;
}
