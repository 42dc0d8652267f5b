/**
 * Where a VNFC would go, without claiming anything: the scheduler places it on a scratch copy of the hosts
 * (an in-memory store), so the answer is the scheduler's own choice or refusal and the real hosts are not
 * touched, not even for a moment.
 */
import type { VduEpa } from '../../descriptors/index.js';
import { SqliteStore, type Store } from '../../platform/index.js';
import { HOSTS, PLACEMENT_GROUPS } from '../inventory/collections.js';
import type { Host } from '../inventory/model.js';
import type { PlacementGroup } from '../placement/groups.js';
import type { PlacementRefusal } from '../placement/refusal.js';
import { Scheduler, type PlacementRationale, type SchedulerOptions } from '../placement/scheduler.js';
import type { DryRunRequest, EpaRequest } from './schemas.js';

export type DryRunAnswer =
  | {
      placeable: true;
      host: { id: string; name: string; zoneId: string; regionId: string };
      cells: Array<{ guestCell: number; hostCell: number; cpus: number[]; memoryMiB: number; pageSizeKiB: number }>;
      devices: Array<{ cpId: string; kind: string; pfAddress: string; netdev: string; vf: number | null; numaNode: number | null }>;
      /** Why this host: the weighted score, the layout's cost, the weights, and how many hosts competed. */
      why: PlacementRationale | null;
    }
  | { placeable: false; refusal: PlacementRefusal };

const DRY_RUN_OWNER = 'placement-dry-run';

export function vduEpaOf(epa: EpaRequest): VduEpa {
  return {
    vcpus: epa.vcpus,
    memoryMiB: epa.memoryMiB,
    cpuPolicy: epa.cpuPolicy,
    threadPolicy: epa.threadPolicy,
    emulatorThreadPolicy: epa.emulatorThreadPolicy,
    numa: epa.numa ? { nodes: epa.numa.nodes.map((node) => ({ id: node.id, vcpus: node.vcpus, memoryMiB: node.memoryMiB })) } : undefined,
    pageSize: epa.pageSize,
    interfaces: epa.interfaces.map((item) => ({
      cpId: item.cpId,
      order: item.order,
      kind: item.kind,
      physicalNetwork: item.physicalNetwork,
      numaAffinity: item.numaAffinity,
    })),
  };
}

export async function dryRunPlacement(store: Store, request: DryRunRequest, options: SchedulerOptions): Promise<DryRunAnswer> {
  const scratch = new SqliteStore(':memory:');
  try {
    const hosts = await store.collection<Host>(HOSTS).query();
    const groups = await store.collection<PlacementGroup>(PLACEMENT_GROUPS).query();
    const scratchHosts = scratch.collection<Host>(HOSTS);
    const scratchGroups = scratch.collection<PlacementGroup>(PLACEMENT_GROUPS);
    await scratch.commit([...hosts.map((entry) => scratchHosts.insertWrite(entry.value)), ...groups.map((entry) => scratchGroups.insertWrite(entry.value))]);
    const scheduler = await Scheduler.open(scratch, { ...options, inventory: undefined });
    try {
      const outcome = await scheduler.place({
        owner: DRY_RUN_OWNER,
        tenantId: DRY_RUN_OWNER,
        epa: vduEpaOf(request.epa),
        ...(request.zones ? { zones: request.zones } : {}),
        ...(request.regionId !== undefined ? { regionId: request.regionId } : {}),
      });
      if (!outcome.ok) return { placeable: false, refusal: outcome.refusal };
      const { claim, host, rationale } = outcome.placement;
      return {
        placeable: true,
        why: rationale ?? null,
        host: { id: host.id, name: host.name, zoneId: host.zoneId, regionId: host.regionId },
        cells: claim.cells.map((cell) => ({
          guestCell: cell.guestCell,
          hostCell: cell.hostCell,
          cpus: cell.pinning.map((pin) => pin.cpu),
          memoryMiB: cell.memoryMiB,
          pageSizeKiB: cell.pageSizeKiB,
        })),
        devices: claim.devices.map((device) => ({
          cpId: device.cpId,
          kind: device.kind,
          pfAddress: device.pfAddress,
          netdev: device.netdev,
          vf: device.vf?.index ?? null,
          numaNode: device.numaNode ?? null,
        })),
      };
    } finally {
      scheduler.close();
    }
  } finally {
    await scratch.close();
  }
}
