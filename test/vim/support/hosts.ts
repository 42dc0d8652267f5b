/**
 * Hosts and requests for the placement tests: inventories discovered from the sysfs fixtures, synthetic
 * inventories built from a compact description, VDU EPA with defaults, and a VIM on a fresh embedded store.
 */
import path from 'node:path';
import type { VduEpa } from '../../../descriptors/index.js';
import { SqliteStore } from '../../../platform/index.js';
import { discoverHost, type DiscoveryOptions } from '../../../sriov-dpdk/index.js';
import {
  Inventory,
  Scheduler,
  type Claim,
  type HostInventory,
  type NumaCell,
  type PlacementOutcome,
  type PlacementRefusal,
  type PlacementRequest,
  type SchedulerOptions,
  type SriovPf,
} from '../../../vim/index.js';
import { FIXTURES_DIR } from '../../fixtures/sysfs/generate.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';

export async function fixtureInventory(name: string, options: Omit<DiscoveryOptions, 'sysfsRoot'> = {}): Promise<HostInventory> {
  const outcome = await discoverHost({ ...options, sysfsRoot: path.join(FIXTURES_DIR, name) });
  if (!outcome.ok) throw new Error(`fixture ${name}: ${outcome.problems.map((problem) => problem.message).join('; ')}`);
  return outcome.inventory;
}

export interface CellSpec {
  socket: number;
  cores: number;
  threads: number;
  memoryMiB?: number;
  /** Page size in KiB -> pages. */
  pages?: Readonly<Record<number, number>>;
}

export interface PfSpec {
  numaNode: number | undefined;
  physnet: string | undefined;
  vfs: number;
}

export interface InventorySpec {
  cells: CellSpec[];
  pfs?: PfSpec[];
  hostCpus?: number[];
  pmdCpus?: number[];
  ovsDpdk?: boolean;
}

/** CPUs are numbered cell by cell, core by core, the threads of a core adjacent. */
export function syntheticInventory(spec: InventorySpec): HostInventory {
  let next = 0;
  const hostCpus = new Set(spec.hostCpus ?? []);
  const pmdCpus = new Set(spec.pmdCpus ?? []);
  const cells: NumaCell[] = spec.cells.map((cell, id) => {
    const cpus = Array.from({ length: cell.cores }, (_, core) => {
      const siblings = Array.from({ length: cell.threads }, (_, thread) => next + thread);
      next += cell.threads;
      return siblings.map((cpu) => ({
        id: cpu,
        core: core + id * 100,
        socket: cell.socket,
        siblings,
        role: hostCpus.has(cpu) ? ('host' as const) : pmdCpus.has(cpu) ? ('pmd' as const) : ('guest' as const),
      }));
    }).flat();
    const pages = Object.entries(cell.pages ?? {}).map(([size, total]) => ({ sizeKiB: Number(size), total, free: total, reservedForHost: 0, reservedByUs: 0 }));
    const hugepagesMiB = pages.reduce((sum, pool) => sum + (pool.total * pool.sizeKiB) / 1024, 0);
    const memoryMiB = (cell.memoryMiB ?? 16384) + hugepagesMiB;
    return { id, cpus, memory: { totalMiB: memoryMiB, freeMiB: memoryMiB, reservedForHostMiB: 0, reservedByUsMiB: 0 }, hugepages: pages };
  });
  const physicalFunctions: SriovPf[] = (spec.pfs ?? []).map((pf, index) => {
    const bus = (0x10 + index).toString(16).padStart(2, '0');
    return {
      address: `0000:${bus}:00.0`,
      netdev: `ens${index + 1}f0`,
      numaNode: pf.numaNode,
      physicalNetwork: pf.physnet,
      totalVfs: Math.max(pf.vfs, 8),
      configuredVfs: pf.vfs,
      vfs: Array.from({ length: pf.vfs }, (_, vf) => ({ index: vf, address: `0000:${bus}:${(2 + (vf >> 3)).toString(16).padStart(2, '0')}.${vf & 7}`, mac: undefined, vlan: undefined })),
    };
  });
  return { cells, physicalFunctions, ovsDpdk: spec.ovsDpdk ?? (spec.pmdCpus ?? []).length > 0 };
}

const GIB = 1024;

/** A VDU's EPA; by default 2 shared vCPUs and 2 GiB without NUMA requirements. */
export function epa(overrides: Partial<VduEpa> = {}): VduEpa {
  return {
    vcpus: 2,
    memoryMiB: 2 * GIB,
    cpuPolicy: 'shared',
    threadPolicy: undefined,
    emulatorThreadPolicy: undefined,
    numa: undefined,
    pageSize: undefined,
    interfaces: [],
    ...overrides,
  };
}

export function vf(cpId: string, physicalNetwork: string | undefined, numaAffinity?: VduEpa['interfaces'][number]['numaAffinity']): VduEpa['interfaces'][number] {
  return { cpId, order: undefined, kind: 'sriov-vf', physicalNetwork, numaAffinity };
}

let sequence = 0;

/** A request by an operation of its own (`op-1`, `op-2`, ...), unless `extra` names the owner. */
export function request(vduEpa: VduEpa, extra: Partial<PlacementRequest> = {}): PlacementRequest {
  sequence += 1;
  return { owner: `op-${sequence}`, tenantId: 'tenant-a', epa: vduEpa, ...extra };
}

export function claimOf(outcome: PlacementOutcome): Claim {
  if (!outcome.ok) throw new Error(`refused: ${outcome.refusal.message}`);
  return outcome.placement.claim;
}

export function refusalOf(outcome: PlacementOutcome): PlacementRefusal {
  if (outcome.ok) throw new Error(`placed on ${outcome.placement.host.id}`);
  return outcome.refusal;
}

export interface Vim {
  dir: string;
  file: string;
  store: SqliteStore;
  inventory: Inventory;
  scheduler: Scheduler;
  close(): Promise<void>;
}

/** A VIM on a fresh embedded store in a temp dir. */
export async function openVim(options: SchedulerOptions = {}): Promise<Vim> {
  const dir = makeTempDir('vim');
  const file = path.join(dir, 'nfv.sqlite');
  const store = new SqliteStore(file);
  const inventory = await Inventory.open(store);
  const scheduler = await Scheduler.open(store, { inventory, tieBreakSeed: 7, ...options });
  return {
    dir,
    file,
    store,
    inventory,
    scheduler,
    async close() {
      scheduler.close();
      await store.close();
      removeTempDir(dir);
    },
  };
}
