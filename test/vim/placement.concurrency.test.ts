/**
 * 200 placements at once against room for exactly 100: from one scheduler (its placements interleave at
 * every await), and from two schedulers on two connections to the same store file (they only meet in the
 * store's revisions). Exactly 100 must succeed, no resource may be claimed twice, the counters must add
 * up, and releasing everything must give back the very documents we started from.
 */
import type { VduEpa } from '../../descriptors/index.js';
import { SqliteStore, type Store } from '../../platform/index.js';
import { CLAIMS, HOSTS, Inventory, Scheduler, type Claim, type Host, type PlacementOutcome, type SchedulerCounters } from '../../vim/index.js';
import { openVim, syntheticInventory, vf, type Vim } from './support/hosts.js';
import { violations, type PlacedRequest } from './support/invariants.js';

/** The store, with every commit held back until the event loop has turned: other writers read meanwhile. */
function withSlowCommits(store: Store): Store {
  return {
    backend: store.backend,
    collection: (spec) => store.collection(spec),
    commit: async (writes) => {
      await new Promise((resolve) => setImmediate(resolve));
      return store.commit(writes);
    },
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

const HOST_COUNT = 50;
const ROOM = 100;
const REQUESTS = 200;
const RATIO = 4;

/** Each cell takes exactly one: 4 isolated vCPUs use its 4 cores, 4 GiB its 4 1G pages, and its PF has 1 VF. */
const VNFC: VduEpa = {
  vcpus: 4,
  memoryMiB: 4096,
  cpuPolicy: 'dedicated',
  threadPolicy: 'isolate',
  emulatorThreadPolicy: undefined,
  numa: undefined,
  pageSize: '1GB',
  interfaces: [vf('data', 'fabric', 'required')],
};

const hostInventory = syntheticInventory({
  cells: [
    { socket: 0, cores: 4, threads: 2, memoryMiB: 8192, pages: { 1048576: 4 } },
    { socket: 1, cores: 4, threads: 2, memoryMiB: 8192, pages: { 1048576: 4 } },
  ],
  pfs: [
    { numaNode: 0, physnet: 'fabric', vfs: 1 },
    { numaNode: 1, physnet: 'fabric', vfs: 1 },
  ],
});

async function registerRoom(inventory: Inventory): Promise<void> {
  await inventory.registerHosts(
    Array.from({ length: HOST_COUNT }, (_, index) => ({ id: `host-${String(index).padStart(3, '0')}`, libvirtUri: 'test:///default', inventory: hostInventory })),
  );
}

async function stored(vim: Vim): Promise<{ hosts: Host[]; claims: Claim[] }> {
  return {
    hosts: (await vim.store.collection<Host>(HOSTS).query()).map((entry) => entry.value),
    claims: (await vim.store.collection<Claim>(CLAIMS).query()).map((entry) => entry.value),
  };
}

function checkOutcomes(outcomes: readonly PlacementOutcome[], owners: readonly string[]): Map<string, PlacedRequest> {
  const placed = outcomes.filter((outcome) => outcome.ok);
  const refused = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.refusal]));
  expect(placed).toHaveLength(ROOM);
  expect(refused).toHaveLength(REQUESTS - ROOM);
  for (const refusal of refused) expect(refusal.kind).toBe('no-host');
  const requests = new Map<string, PlacedRequest>();
  outcomes.forEach((outcome, index) => {
    if (outcome.ok) {
      expect(outcome.placement.claim.owner).toBe(owners[index]);
      requests.set(outcome.placement.claim.id, { epa: VNFC, zones: undefined, groups: [] });
    }
  });
  return requests;
}

async function expectFullAndConsistent(vim: Vim, requests: ReadonlyMap<string, PlacedRequest>): Promise<void> {
  const { hosts, claims } = await stored(vim);
  expect(claims).toHaveLength(ROOM);
  expect(violations(hosts, claims, requests, RATIO)).toEqual([]);
  // Every resource of the room is taken exactly once: 8 threads, 4 pages and 1 VF per cell.
  const cells = hosts.flatMap((host) => host.inventory?.cells ?? []);
  expect(cells.flatMap((cell) => cell.cpus).filter((cpu) => cpu.claimedBy !== undefined)).toHaveLength(ROOM * 8);
  expect(cells.map((cell) => cell.hugepages[0]?.reservedByUs)).toEqual(Array(ROOM).fill(4));
  const vfs = hosts.flatMap((host) => host.inventory?.physicalFunctions.flatMap((pf) => pf.vfs) ?? []);
  expect(new Set(vfs.map((entry) => entry.claimedBy)).size).toBe(ROOM);
  expect(new Set(claims.flatMap((claim) => claim.devices.map((device) => `${claim.hostId}/${device.vf?.address}`))).size).toBe(ROOM);
}

describe('concurrent placements', () => {
  let vim: Vim;

  beforeEach(async () => {
    vim = await openVim({ cpuAllocationRatio: RATIO });
    await registerRoom(vim.inventory);
  });
  afterEach(async () => vim.close());

  it('from one scheduler: exactly 100 of 200 succeed, disjoint, and release gives everything back', async () => {
    const before = (await stored(vim)).hosts;
    const owners = Array.from({ length: REQUESTS }, (_, index) => `op-${index}`);
    const outcomes = await Promise.all(owners.map((owner) => vim.scheduler.place({ owner, tenantId: 'tenant-a', epa: VNFC })));
    const requests = checkOutcomes(outcomes, owners);
    await expectFullAndConsistent(vim, requests);
    const last = outcomes.find((outcome) => !outcome.ok);
    if (last && !last.ok) expect(last.refusal.message).toBe(
      'no host in any zone has 4 dedicated sibling-isolated CPUs, 4 GiB of 1G pages and 1 VF on physnet `fabric` (required NUMA affinity) on one NUMA node: 50 hosts lack CPUs',
    );

    const released = await Promise.all(owners.map((owner) => vim.scheduler.release(owner)));
    expect(released.flat()).toHaveLength(ROOM);
    const after = await stored(vim);
    expect(after.claims).toEqual([]);
    expect(after.hosts).toEqual(before);
  });

  /** Two schedulers, each on its own connection to the store file, share the 200 requests and then the releases. */
  async function twoConnections(wrap: (store: Store) => Store, tieBreakSeeds: readonly [number, number]): Promise<SchedulerCounters[]> {
    const before = (await stored(vim)).hosts;
    const firstConnection = new SqliteStore(vim.file);
    const secondConnection = new SqliteStore(vim.file);
    const schedulers: Scheduler[] = [];
    try {
      for (const [index, connection] of [firstConnection, secondConnection].entries()) {
        const store = wrap(connection);
        schedulers.push(await Scheduler.open(store, { cpuAllocationRatio: RATIO, tieBreakSeed: tieBreakSeeds[index], inventory: await Inventory.open(store) }));
      }
      const schedulerOf = (index: number): Scheduler => schedulers[index % 2] as Scheduler;
      const owners = Array.from({ length: REQUESTS }, (_, index) => `op-${index}`);
      const outcomes = await Promise.all(owners.map((owner, index) => schedulerOf(index).place({ owner, tenantId: 'tenant-a', epa: VNFC })));
      const requests = checkOutcomes(outcomes, owners);
      await expectFullAndConsistent(vim, requests);
      expect(schedulers.reduce((sum, scheduler) => sum + scheduler.counters.placed, 0)).toBe(ROOM);

      // Each connection releases the other's half, concurrently.
      await Promise.all(owners.map((owner, index) => schedulerOf(index + 1).release(owner)));
      const after = await stored(vim);
      expect(after.claims).toEqual([]);
      expect(after.hosts).toEqual(before);
      return schedulers.map((scheduler) => scheduler.counters);
    } finally {
      for (const scheduler of schedulers) scheduler.close();
      await firstConnection.close();
      await secondConnection.close();
    }
  }

  it('from two schedulers on two store connections: exactly 100 of 200 succeed, disjoint, and release gives everything back', async () => {
    const counters = await twoConnections((store) => store, [1, 2]);
    // Each scheduler's summaries go stale under the other's claims; re-reading the documents catches it.
    expect(counters.reduce((sum, counter) => sum + counter.staleHosts, 0)).toBeGreaterThan(0);
  });

  it('when both read the same host revisions before committing, the losers re-read and retry elsewhere', async () => {
    // The same tie-break order makes both schedulers want the same host every time.
    const counters = await twoConnections((store) => withSlowCommits(store), [7, 7]);
    expect(counters.reduce((sum, counter) => sum + counter.conflicts, 0)).toBeGreaterThan(5);
  });
});
