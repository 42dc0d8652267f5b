import {
  DEFAULT_REGION_ID,
  DEFAULT_ZONE_ID,
  Inventory,
  InventoryError,
  mergeInventory,
  type HostInventory,
} from '../../vim/index.js';
import { epa, fixtureInventory, openVim, type Vim } from './support/hosts.js';

describe('VIM inventory: Region > Zone > Host', () => {
  let vim: Vim;

  beforeEach(async () => {
    vim = await openVim();
  });
  afterEach(async () => vim.close());

  it('has a default region and zone, once, however often it is opened', async () => {
    await Inventory.open(vim.store);
    expect(await vim.inventory.regions()).toEqual([{ id: DEFAULT_REGION_ID, tenantId: 'admin', name: 'Default region' }]);
    expect(await vim.inventory.zones()).toEqual([{ id: DEFAULT_ZONE_ID, tenantId: 'admin', name: 'Default zone', regionId: DEFAULT_REGION_ID }]);
  });

  it('registers hosts in zones of regions, and refuses unknown or duplicate ones with the reason', async () => {
    await vim.inventory.addRegion({ id: 'eu-west', name: 'EU West' });
    await vim.inventory.addZone({ id: 'eu-west-a', name: 'Hall A', regionId: 'eu-west' });
    await expect(vim.inventory.addZone({ id: 'z', name: 'z', regionId: 'nowhere' })).rejects.toMatchObject({ problem: { kind: 'unknown-region', regionId: 'nowhere' } });
    await expect(vim.inventory.addRegion({ id: 'eu-west', name: 'again' })).rejects.toMatchObject({ problem: { kind: 'already-exists', what: 'region' } });

    const { value: host, revision } = await vim.inventory.registerHost({ id: 'compute-1', zoneId: 'eu-west-a', libvirtUri: 'qemu+ssh://root@compute-1/system', ovsdbEndpoint: 'tcp:10.0.0.1:6640' });
    expect(revision).toBe(1);
    expect(host).toMatchObject({ regionId: 'eu-west', zoneId: 'eu-west-a', adminState: 'enabled', health: 'up', inventory: undefined, usage: { claimIds: [], sharedVcpus: 0, floatingMemoryMiB: 0 } });
    await expect(vim.inventory.registerHost({ id: 'compute-1', libvirtUri: 'x' })).rejects.toMatchObject({ problem: { kind: 'already-exists', what: 'host', id: 'compute-1' } });
    await expect(vim.inventory.registerHost({ id: 'compute-2', zoneId: 'nope', libvirtUri: 'x' })).rejects.toBeInstanceOf(InventoryError);
    expect((await vim.inventory.hosts({ zoneId: 'eu-west-a' })).map((entry) => entry.id)).toEqual(['compute-1']);
    expect(await vim.inventory.hosts({ regionId: DEFAULT_REGION_ID })).toEqual([]);
  });

  it('keeps a host without inventory, and places nothing on it', async () => {
    await vim.inventory.registerHost({ id: 'bare', libvirtUri: 'qemu:///system' });
    const outcome = await vim.scheduler.place({ owner: 'op-1', tenantId: 't', epa: epa() });
    expect(outcome).toMatchObject({ ok: false, refusal: { kind: 'no-host', hostsInScope: 1, reasons: [{ constraint: 'no-inventory', hosts: 1 }] } });
    if (!outcome.ok) expect(outcome.refusal.message).toBe('no host in any zone has 2 shared vCPUs and 2 GiB of memory: 1 host has no inventory yet');
  });

  it('takes drained and down hosts out of placement, and back', async () => {
    await vim.inventory.registerHost({ id: 'h1', libvirtUri: 'qemu:///system', inventory: await fixtureInventory('single-cell') });
    await vim.inventory.setAdminState('h1', 'drained');
    expect(await vim.scheduler.place({ owner: 'op', tenantId: 't', epa: epa() })).toMatchObject({ ok: false, refusal: { reasons: [{ constraint: 'drained', hosts: 1 }] } });
    await vim.inventory.setAdminState('h1', 'enabled');
    await vim.inventory.setHealth('h1', 'down');
    expect(await vim.scheduler.place({ owner: 'op', tenantId: 't', epa: epa() })).toMatchObject({ ok: false, refusal: { reasons: [{ constraint: 'down', hosts: 1 }] } });
    await vim.inventory.setHealth('h1', 'up');
    expect(await vim.scheduler.place({ owner: 'op', tenantId: 't', epa: epa() })).toMatchObject({ ok: true });
  });

  it('rediscovery keeps what claims hold, and refuses an inventory that drops it', async () => {
    const discovered = await fixtureInventory('dual-socket', { physicalNetworks: { ens1f0: 'sriov-a' } });
    await vim.inventory.registerHost({ id: 'h1', libvirtUri: 'qemu:///system', inventory: discovered });
    const placed = await vim.scheduler.place({
      owner: 'op-1',
      tenantId: 't',
      epa: epa({ vcpus: 2, cpuPolicy: 'dedicated', threadPolicy: 'isolate', pageSize: '1GB', memoryMiB: 4096, interfaces: [{ cpId: 'cp', order: 0, kind: 'sriov-vf', physicalNetwork: 'sriov-a', numaAffinity: 'required' }] }),
    });
    if (!placed.ok) throw new Error(placed.refusal.message);
    const before = (await vim.inventory.host('h1'))?.value.inventory;

    const updated = await vim.inventory.updateInventory('h1', discovered);
    expect(updated.value.inventory).toEqual(before);

    const fewerVfs: HostInventory = structuredClone(discovered);
    for (const pf of fewerVfs.physicalFunctions) pf.vfs = [];
    await expect(vim.inventory.updateInventory('h1', fewerVfs)).rejects.toMatchObject({ problem: { kind: 'inventory-conflict', hostId: 'h1' } });
    expect(mergeInventory(before, fewerVfs)).toMatchObject({ ok: false, problems: [expect.stringMatching(/^VF 0000:3b:02\.0 of ens1f0 is held by claim .* but is gone$/)] });

    await expect(vim.inventory.removeHost('h1')).rejects.toMatchObject({ problem: { kind: 'host-has-claims' } });
    await vim.scheduler.release('op-1');
    await vim.inventory.removeHost('h1');
    expect(await vim.inventory.host('h1')).toBeUndefined();
    expect(await vim.scheduler.place({ owner: 'op-2', tenantId: 't', epa: epa() })).toMatchObject({ ok: false, refusal: { hostsInScope: 0 } });
  });
});
