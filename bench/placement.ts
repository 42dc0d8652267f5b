/**
 * Placement at scale: hosts shaped like the dual-socket sysfs fixture (2 NUMA cells x 16 cores x 2 threads,
 * 1 GiB pages, 2 PFs x 64 VFs, both PFs on physnet `sriov-a`) in the embedded store, then sequential
 * placements of a VNFC with 8 dedicated isolated CPUs, 8 GiB of 1 GiB pages and 2 VFs with required NUMA
 * affinity, each claim committed (fsync'd) before the next starts. Prints one line:
 *
 *   placement: hosts=10000 p50=<ms> p99=<ms> rss=<MB>
 *
 *   npm run bench:placement     (NFV_BENCH_HOSTS and NFV_BENCH_PLACEMENTS change the 10,000 and 1,000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VduEpa } from '../descriptors/index.js';
import { SqliteStore } from '../platform/index.js';
import { discoverHost } from '../sriov-dpdk/index.js';
import { Inventory, Scheduler, type HostRegistration } from '../vim/index.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/sysfs/dual-socket');

const VNFC: VduEpa = {
  vcpus: 8,
  memoryMiB: 8192,
  cpuPolicy: 'dedicated',
  threadPolicy: 'isolate',
  emulatorThreadPolicy: undefined,
  numa: undefined,
  pageSize: '1GB',
  interfaces: ['left', 'right'].map((cpId, order) => ({ cpId, order, kind: 'sriov-vf' as const, physicalNetwork: 'sriov-a', numaAffinity: 'required' as const })),
};

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const hostCount = Number(process.env.NFV_BENCH_HOSTS ?? 10_000);
  const placements = Number(process.env.NFV_BENCH_PLACEMENTS ?? 1_000);
  const discovered = await discoverHost({ sysfsRoot: FIXTURE, physicalNetworks: { ens1f0: 'sriov-a', ens4f0: 'sriov-a' } });
  if (!discovered.ok) throw new Error(`the fixture cannot be discovered: ${discovered.problems.map((problem) => problem.message).join('; ')}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfv-bench-placement-'));
  const store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
  try {
    const inventory = await Inventory.open(store);
    const registrations: HostRegistration[] = Array.from({ length: hostCount }, (_, index) => {
      const name = `compute-${String(index).padStart(5, '0')}`;
      return { id: name, libvirtUri: `qemu+ssh://root@${name}/system`, ovsdbEndpoint: `tcp:${name}:6640`, inventory: discovered.inventory };
    });
    await inventory.registerHosts(registrations);
    const scheduler = await Scheduler.open(store, { inventory });

    const durations: number[] = [];
    for (let index = 0; index < placements; index += 1) {
      const started = process.hrtime.bigint();
      const outcome = await scheduler.place({ owner: `op-${index}`, tenantId: 'bench', epa: VNFC });
      durations.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (!outcome.ok) throw new Error(`placement ${index} was refused: ${outcome.refusal.message}`);
    }
    durations.sort((a, b) => a - b);
    const rssMiB = process.memoryUsage().rss / (1024 * 1024);
    console.log(`placement: hosts=${hostCount} p50=${percentile(durations, 0.5).toFixed(2)} p99=${percentile(durations, 0.99).toFixed(2)} rss=${rssMiB.toFixed(0)}`);
    scheduler.close();
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
