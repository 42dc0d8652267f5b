import type { PlacementRule } from '../../descriptors/index.js';
import { PLACEMENT_GROUPS, placementGroupsOf, type HostInventory, type PlacementGroup, type PlacementGroupRef, type SchedulerOptions } from '../../vim/index.js';
import { claimOf, epa, fixtureInventory, openVim, request, syntheticInventory, vf, type Vim } from './support/hosts.js';

const GIB = 1024;
const vnfc = epa({ vcpus: 8, memoryMiB: 8 * GIB, cpuPolicy: 'dedicated', threadPolicy: 'isolate', pageSize: '1GB', interfaces: [vf('left', 'sriov-a', 'required'), vf('right', 'sriov-a', 'required')] });

describe('scheduling: scope, explanations, groups and weighers', () => {
  let vim: Vim;
  const open = async (options: SchedulerOptions = {}) => {
    vim = await openVim(options);
  };
  const register = (id: string, inventory: HostInventory | undefined, zoneId?: string) =>
    vim.inventory.registerHost({ id, libvirtUri: `qemu+ssh://${id}/system`, ...(inventory ? { inventory } : {}), ...(zoneId ? { zoneId } : {}) });

  afterEach(async () => vim.close());

  it('explains a refusal per constraint with host counts, only over the zones asked for', async () => {
    await open();
    await vim.inventory.addRegion({ id: 'r1', name: 'Region 1' });
    await vim.inventory.addZone({ id: 'z1', name: 'Zone 1', regionId: 'r1' });
    await vim.inventory.addZone({ id: 'z2', name: 'Zone 2', regionId: 'r1' });
    const physnets = { ens1f0: 'sriov-a', ens4f0: 'sriov-a' };
    for (const id of ['small-1', 'small-2', 'small-3']) await register(id, await fixtureInventory('single-cell'), 'z1');
    const busy = await fixtureInventory('dual-socket', { physicalNetworks: physnets, hostCpus: Array.from({ length: 60 }, (_, cpu) => cpu) });
    for (const id of ['busy-1', 'busy-2']) await register(id, busy, 'z1');
    await register('other-net', await fixtureInventory('dual-socket', { physicalNetworks: { ens1f0: 'sriov-b' } }), 'z1');
    await register('drained', await fixtureInventory('dual-socket', { physicalNetworks: physnets }), 'z1');
    await vim.inventory.setAdminState('drained', 'drained');
    await register('elsewhere', await fixtureInventory('dual-socket', { physicalNetworks: physnets }), 'z2');

    const outcome = await vim.scheduler.place(request(vnfc, { zones: ['z1'] }));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.refusal).toEqual({
      kind: 'no-host',
      message:
        'no host in zone z1 has 8 dedicated sibling-isolated CPUs, 8 GiB of 1G pages and 2 VFs on physnet `sriov-a` (required NUMA affinity) on one NUMA node: ' +
        '3 hosts lack 1G pages, 2 lack CPUs, 1 is drained, 1 lacks VFs on physnet `sriov-a`',
      hostsInScope: 7,
      reasons: [
        { constraint: 'hugepages', sizesKiB: [1048576], hosts: 3 },
        { constraint: 'cpus', hosts: 2 },
        { constraint: 'drained', hosts: 1 },
        { constraint: 'vfs', physicalNetwork: 'sriov-a', hosts: 1 },
      ],
      problems: [],
    });
    expect(claimOf(await vim.scheduler.place(request(vnfc, { zones: ['z2'] }))).hostId).toBe('elsewhere');
    expect(claimOf(await vim.scheduler.place(request(vnfc, { regionId: 'r1' }))).hostId).toBe('elsewhere');
    expect(await vim.scheduler.place(request(vnfc, { zones: ['z9'] }))).toMatchObject({ ok: false, refusal: { hostsInScope: 0, message: 'no host in zone z9: there are no hosts there' } });
  });

  it('anti-affinity by host: members on distinct hosts, then a refusal naming the group', async () => {
    await open();
    for (const id of ['h1', 'h2', 'h3']) await register(id, await fixtureInventory('single-cell'));
    const group: PlacementGroupRef = { id: 'vnf-1/anti', policy: 'anti-affinity', scope: 'host' };
    const hosts = [];
    for (let member = 0; member < 3; member += 1) hosts.push(claimOf(await vim.scheduler.place(request(epa(), { owner: 'op-g', groups: [group] }))).hostId);
    expect(new Set(hosts).size).toBe(3);
    const refused = await vim.scheduler.place(request(epa(), { groups: [group] }));
    expect(refused).toMatchObject({ ok: false, refusal: { reasons: [{ constraint: 'anti-affinity', group: 'vnf-1/anti', hosts: 3 }] } });
    if (!refused.ok) expect(refused.refusal.message).toBe('no host in any zone has 2 shared vCPUs and 2 GiB of memory: 3 hosts would break anti-affinity group `vnf-1/anti`');

    const groups = vim.store.collection<PlacementGroup>(PLACEMENT_GROUPS);
    expect((await groups.get('vnf-1/anti'))?.value.members.map((member) => member.hostId).sort()).toEqual(['h1', 'h2', 'h3']);
    await vim.scheduler.release('op-g');
    expect(await groups.get('vnf-1/anti')).toBeUndefined();
  });

  it('affinity by host keeps members together even when the weighers would spread them', async () => {
    await open({ weights: { spread: 1 } });
    for (const id of ['h1', 'h2', 'h3']) await register(id, await fixtureInventory('single-cell'));
    const group: PlacementGroupRef = { id: 'vnf-2/together', policy: 'affinity', scope: 'host' };
    const hosts = new Set<string>();
    for (let member = 0; member < 3; member += 1) hosts.add(claimOf(await vim.scheduler.place(request(epa(), { groups: [group] }))).hostId);
    expect(hosts.size).toBe(1);
    // Without the group, spreading sends the next guests to the two emptier hosts.
    const alone = new Set<string>();
    for (let guest = 0; guest < 2; guest += 1) alone.add(claimOf(await vim.scheduler.place(request(epa()))).hostId);
    expect(alone.size).toBe(2);
    expect([...alone].some((host) => hosts.has(host))).toBe(false);
  });

  it('anti-affinity by zone, and a request that contradicts the stored group', async () => {
    await open();
    await vim.inventory.addZone({ id: 'za', name: 'A', regionId: 'default' });
    await vim.inventory.addZone({ id: 'zb', name: 'B', regionId: 'default' });
    await register('a1', await fixtureInventory('single-cell'), 'za');
    await register('a2', await fixtureInventory('single-cell'), 'za');
    await register('b1', await fixtureInventory('single-cell'), 'zb');
    const group: PlacementGroupRef = { id: 'vnf-3/zones', policy: 'anti-affinity', scope: 'zone' };
    const first = claimOf(await vim.scheduler.place(request(epa(), { groups: [group] })));
    const second = claimOf(await vim.scheduler.place(request(epa(), { groups: [group] })));
    expect(first.zoneId).not.toBe(second.zoneId);
    expect(await vim.scheduler.place(request(epa(), { groups: [group] }))).toMatchObject({ ok: false, refusal: { reasons: [{ constraint: 'anti-affinity', hosts: 3 }] } });
    expect(await vim.scheduler.place(request(epa(), { groups: [{ ...group, policy: 'affinity' }] }))).toMatchObject({
      ok: false,
      refusal: { kind: 'invalid-request', problems: ['group vnf-3/zones is anti-affinity by zone, but the request says affinity by zone'] },
    });
  });

  it('derives groups from the VNFD affinity rules, per VNF instance', () => {
    const rules: PlacementRule[] = [
      { ruleId: 'spread', kind: 'anti-affinity', scope: 'nfvi-node', vduIds: ['VDU1', 'VDU2'] },
      { ruleId: 'site', kind: 'affinity', scope: 'zone', vduIds: ['VDU1'] },
      { ruleId: 'pop', kind: 'affinity', scope: 'nfvi-pop', vduIds: ['VDU3'] },
    ];
    expect(placementGroupsOf(rules, 'VDU1', 'vnf-9')).toEqual({
      ok: true,
      groups: [
        { id: 'vnf-9/spread', policy: 'anti-affinity', scope: 'host' },
        { id: 'vnf-9/site', policy: 'affinity', scope: 'zone' },
      ],
    });
    expect(placementGroupsOf(rules, 'VDU3', 'vnf-9')).toEqual({ ok: false, problems: ['placement rule pop: scope nfvi-pop is not one this VIM places by (nfvi-node or zone)'] });
  });

  it('weighers: pack fills one host, spread opens the next, and combined weights decide together', async () => {
    const shape = epa({ vcpus: 2, cpuPolicy: 'dedicated', memoryMiB: 2 * GIB });
    const placeTwice = async (options: SchedulerOptions) => {
      await open(options);
      await register('h1', await fixtureInventory('dual-socket'));
      await register('h2', await fixtureInventory('dual-socket'));
      const hosts = [claimOf(await vim.scheduler.place(request(shape))).hostId, claimOf(await vim.scheduler.place(request(shape))).hostId];
      await vim.close();
      return new Set(hosts).size;
    };
    expect(await placeTwice({ weights: { pack: 1 } })).toBe(1);
    expect(await placeTwice({ weights: { spread: 1 } })).toBe(2);
    expect(await placeTwice({ weights: { pack: 1, spread: 2 } })).toBe(2);
    vim = await openVim();
  });

  it('weighers: least VF usage prefers the host with more free VFs on the physnet', async () => {
    await open({ weights: { leastVfUsage: 1 } });
    const inventory = (vfs: number) => syntheticInventory({ cells: [{ socket: 0, cores: 8, threads: 2 }], pfs: [{ numaNode: 0, physnet: 'net', vfs }] });
    await register('few', inventory(4));
    await register('many', inventory(8));
    const claim = claimOf(await vim.scheduler.place(request(epa({ interfaces: [vf('a', 'net')] }))));
    expect(claim.hostId).toBe('many');
  });

  it('numa balance: the emptier cell and the more balanced host; without it, the fuller cell', async () => {
    const shape = epa({ vcpus: 2, cpuPolicy: 'dedicated', memoryMiB: GIB });
    const twoCells = syntheticInventory({ cells: [{ socket: 0, cores: 4, threads: 2 }, { socket: 1, cores: 4, threads: 2 }] });
    const run = async (options: SchedulerOptions) => {
      await open(options);
      await register('h1', twoCells);
      const first = claimOf(await vim.scheduler.place(request(shape)));
      const second = claimOf(await vim.scheduler.place(request(shape)));
      await vim.close();
      return [first.cells[0]?.hostCell, second.cells[0]?.hostCell];
    };
    expect(await run({ weights: { pack: 1 } })).toEqual([0, 0]);
    expect(await run({ weights: { numaBalance: 1 } })).toEqual([0, 1]);
    vim = await openVim();
  });
});
