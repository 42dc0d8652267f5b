/**
 * A host's inventory is rediscovered (hardware changes, a host agent restarts) while claims hold parts of
 * it. The new inventory takes over what the old one knew about our claims, and is refused when it no longer
 * has something a claim holds: that needs an operator, not a silent loss.
 */
import type { HostInventory } from './model.js';

export type MergeOutcome = { ok: true; inventory: HostInventory } | { ok: false; problems: string[] };

export function mergeInventory(previous: HostInventory | undefined, discovered: HostInventory): MergeOutcome {
  const next = structuredClone(discovered);
  if (!previous) return { ok: true, inventory: next };
  const problems: string[] = [];
  const cpus = new Map(next.cells.flatMap((cell) => cell.cpus.map((cpu) => [cpu.id, cpu] as const)));
  const cells = new Map(next.cells.map((cell) => [cell.id, cell]));
  const pfs = new Map(next.physicalFunctions.map((pf) => [pf.address, pf]));
  for (const cell of previous.cells) {
    for (const cpu of cell.cpus) {
      if (cpu.claimedBy === undefined) continue;
      const now = cpus.get(cpu.id);
      if (!now || now.role !== 'guest') problems.push(`CPU ${cpu.id} is held by claim ${cpu.claimedBy} but is ${now ? `now for the ${now.role}` : 'gone'}`);
      else now.claimedBy = cpu.claimedBy;
    }
    const nowCell = cells.get(cell.id);
    if (cell.memory.reservedByUsMiB > 0) {
      if (!nowCell) problems.push(`NUMA cell ${cell.id} holds ${cell.memory.reservedByUsMiB} MiB of claims but is gone`);
      else nowCell.memory.reservedByUsMiB = cell.memory.reservedByUsMiB;
    }
    for (const pool of cell.hugepages) {
      if (pool.reservedByUs === 0) continue;
      const nowPool = nowCell?.hugepages.find((candidate) => candidate.sizeKiB === pool.sizeKiB);
      if (!nowPool || nowPool.total - nowPool.reservedForHost < pool.reservedByUs) {
        problems.push(`cell ${cell.id} has ${nowPool ? nowPool.total - nowPool.reservedForHost : 0} usable ${pool.sizeKiB} KiB pages, fewer than the ${pool.reservedByUs} claims hold`);
      } else nowPool.reservedByUs = pool.reservedByUs;
    }
  }
  for (const pf of previous.physicalFunctions) {
    const now = pfs.get(pf.address);
    if (pf.claimedBy !== undefined) {
      if (!now) problems.push(`physical function ${pf.address} is passed through by claim ${pf.claimedBy} but is gone`);
      else now.claimedBy = pf.claimedBy;
    }
    for (const vf of pf.vfs) {
      if (vf.claimedBy === undefined) continue;
      const nowVf = now?.vfs.find((candidate) => candidate.address === vf.address);
      if (!nowVf) problems.push(`VF ${vf.address} of ${pf.netdev} is held by claim ${vf.claimedBy} but is gone`);
      else nowVf.claimedBy = vf.claimedBy;
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, inventory: next };
}
