/**
 * SOL 003 change_ext_conn and change_flavour on libvirt's test driver and a harness Open vSwitch, with the vLB
 * (flavours `default` and `small`) on a host with three physnet-data VFs (two on NUMA node 0, one on node 1):
 * external CPs moved to other networks (new ports bound on the switch and in the flows of the new network, the
 * domain re-created with them, the old ports gone), the flavour changed (the old VNFCs, claims and ports gone,
 * the new flavour's domains with their EPA), failures that go FAILED_TEMP and roll back to the instance as it
 * was, bad requests refused with pointers before anything starts; and the orchestrator killed after a step of
 * either operation, the operation resumed by the restarted one, with nothing done twice or left behind.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { forgetTestDriverDomains, runProductUntilKilled } from '../support/child.js';
import { DEFAULT_INVENTORY, VNFD_IDS, LifecycleLab, type InstanceInfo, type VnfcInfo } from '../support/lifecycle-lab.js';
import { OvsInstance } from '../support/ovs.js';
import { removeTempDir } from '../support/tmp.js';
import { eventually, type Json } from '../nfvo/support/api.js';

const OCCS = '/vnflcm/v1/vnf_lcm_op_occs';
const INSTANCES = '/vnflcm/v1/vnf_instances';

/** Three VFs in all: the default flavour's `pair` and the `small` flavour fit together, `small` and `triple` do not. */
const THREE_VFS = {
  ...DEFAULT_INVENTORY,
  pfs: [
    { numaNode: 0, physnet: 'physnet-data', vfs: 2 },
    { numaNode: 1, physnet: 'physnet-data', vfs: 1 },
  ],
};

let lab: LifecycleLab;
let dataA: string;
let dataB: string;
let mgmtA: string;
let mgmtB: string;

beforeAll(async () => {
  lab = await LifecycleLab.start({ packages: ['vlb'], inventory: THREE_VFS });
  dataA = await lab.network('data-a');
  dataB = await lab.network('data-b');
  mgmtA = await lab.network('mgmt-a');
  mgmtB = await lab.network('mgmt-b');
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

interface Occurrence extends Json {
  operationState: string;
  operation: string;
  grantId?: string;
  error?: Json;
  resourceChanges: { affectedVnfcs: Json[]; affectedExtLinkPorts: Json[]; affectedVirtualLinks: Json[] };
}

function instantiateBody(extra: Json = {}): Json {
  return {
    flavourId: 'default',
    extVirtualLinks: [
      { id: 'data', resourceId: dataA, extCps: [{ cpdId: 'lb_data', cpConfig: { a: { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: ['198.18.20.10'] }] } }] } } }] },
      { id: 'mgmt', resourceId: mgmtA, extCps: [{ cpdId: 'lb_mgmt' }] },
    ],
    ...extra,
  };
}

async function instance(vnfId: string): Promise<InstanceInfo> {
  return (await lab.api.get(`${INSTANCES}/${vnfId}`)).json as unknown as InstanceInfo;
}

async function vnfcsOf(vnfId: string): Promise<VnfcInfo[]> {
  return (await instance(vnfId)).instantiatedVnfInfo?.vnfcResourceInfo ?? [];
}

async function occurrence(occurrenceId: string): Promise<Occurrence> {
  return (await lab.api.get(`${OCCS}/${occurrenceId}`)).json as Occurrence;
}

async function run(path: string, body: Json): Promise<Occurrence> {
  const occurrenceId = await lab.task(path, body);
  await lab.settled(`${OCCS}/${occurrenceId}`);
  return occurrence(occurrenceId);
}

async function rolledBack(occurrenceId: string): Promise<void> {
  expect((await lab.api.post(`${OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
  expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('ROLLED_BACK');
}

async function instantiated(body: Json, name: string): Promise<string> {
  const vnfId = await lab.createVnf(VNFD_IDS.vlb, name);
  expect((await run(`${INSTANCES}/${vnfId}/instantiate`, body)).operationState).toBe('COMPLETED');
  return vnfId;
}

async function terminated(vnfId: string): Promise<void> {
  expect((await run(`${INSTANCES}/${vnfId}/terminate`, { terminationType: 'FORCEFUL' })).operationState).toBe('COMPLETED');
  expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
  expect(await heldClaimIds()).toEqual([]);
  expect(await portIds()).toEqual([]);
}

/** Starts the task while the host refuses to start domains; answers the occurrence, FAILED_TEMP. */
async function failingOnTheHost(taskPath: string, body: Json): Promise<string> {
  const host = await lab.computeDriver();
  const start = host.start.bind(host);
  host.start = async () => {
    throw new Error('the host refuses to start domains');
  };
  try {
    const occurrenceId = await lab.task(taskPath, body);
    expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('FAILED_TEMP');
    return occurrenceId;
  } finally {
    host.start = start;
  }
}

/**
 * Runs refusals against an instantiated vLB (`single`) and a NOT_INSTANTIATED one, then checks that no
 * occurrence started and the instance is as it was.
 */
async function refusing(name: string, refusals: (vnfId: string, notInstantiated: string) => Promise<void>): Promise<void> {
  const notInstantiated = await lab.createVnf(VNFD_IDS.vlb);
  const vnfId = await instantiated(instantiateBody({ instantiationLevelId: 'single' }), name);
  const before = await instance(vnfId);
  const occurrencesBefore = ((await lab.api.get(OCCS)).json as unknown as Json[]).length;
  await refusals(vnfId, notInstantiated);
  expect(((await lab.api.get(OCCS)).json as unknown as Json[]).length).toBe(occurrencesBefore);
  expect(await instance(vnfId)).toEqual(before);
  expect((await lab.api.delete(`${INSTANCES}/${notInstantiated}`)).status).toBe(204);
  await terminated(vnfId);
}

async function heldClaimIds(): Promise<string[]> {
  return (await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).map((claim) => claim.id).sort();
}

async function portIds(): Promise<string[]> {
  return ((await lab.api.get('/v2.0/ports')).json.ports as Json[]).map((port) => String(port.id)).sort();
}

async function port(portId: string): Promise<Json | undefined> {
  const answer = await lab.api.get(`/v2.0/ports/${portId}`);
  return answer.status === 200 ? (answer.json.port as Json) : undefined;
}

function portOf(vnfc: VnfcInfo, cpdId: string): string {
  const found = vnfc.vnfcCpInfo.find((cp) => cp.cpdId === cpdId);
  if (!found) throw new Error(`VNFC ${vnfc.id} has no CP ${cpdId}`);
  return found.vnfLinkPortId;
}

async function segmentOf(networkId: string): Promise<number> {
  return Number(((await lab.api.get(`/v2.0/networks/${networkId}`)).json.network as Json)['provider:segmentation_id']);
}

/** The OVS interface the VIM port is plugged as (by its `iface-id`), '' when the switch has none. */
async function ovsIface(portId: string): Promise<string> {
  return (await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${portId}`)).trim();
}

async function eventuallyActive(portId: string): Promise<void> {
  await eventually(async () => ((await port(portId))?.status === 'ACTIVE' ? true : undefined), 10_000, `port ${portId} to be ACTIVE`);
}

/** The metadata our flows tag a network's frames with (the first 48 bits of its id). */
function networkTag(networkId: string): string {
  return `0x${BigInt(`0x${networkId.replace(/-/g, '').slice(0, 12)}`).toString(16)}`;
}

/** The integration bridge's flows that deliver a network's frames to an OpenFlow port. */
async function deliveries(networkId: string, ofport: string): Promise<string[]> {
  const { flows } = await lab.switchDump();
  return flows.filter((flow) => flow.includes(`metadata=${networkTag(networkId)}`) && new RegExp(`output:${ofport}(,|$|\\s)`).test(flow));
}

describe('change_ext_conn', () => {
  it('moves the data and management CPs to other networks: new ports bound and delivered to, the domain re-created on them, the old ports gone', async () => {
    const vnfId = await instantiated(instantiateBody({ instantiationLevelId: 'single' }), 'lb-ext-conn');
    const [vnfc] = await vnfcsOf(vnfId);
    if (!vnfc) throw new Error('no VNFC');
    const oldData = portOf(vnfc, 'lb_data');
    const oldMgmt = portOf(vnfc, 'lb_mgmt');
    const oldMgmtMac = String((await port(oldMgmt))?.mac_address);
    const claimsBefore = await heldClaimIds();
    expect(await lab.domainXml(vnfc)).toContain(`<tag id='${await segmentOf(dataA)}'/>`);
    const oldOfport = (await lab.ovs.vsctl('get', 'Interface', await ovsIface(oldMgmt), 'ofport')).trim();
    await eventually(async () => ((await deliveries(mgmtA, oldOfport)).length > 0 ? true : undefined), 10_000, 'the flows of mgmt-a to reach the port');

    // The data CP to a new external VL, the known `mgmt` VL to another network.
    const changed = await run(`${INSTANCES}/${vnfId}/change_ext_conn`, {
      extVirtualLinks: [
        { id: 'data-b', resourceId: dataB, extCps: [{ cpdId: 'lb_data' }] },
        { id: 'mgmt', resourceId: mgmtB, extCps: [{ cpdId: 'lb_mgmt' }] },
      ],
    });
    expect(changed.operationState).toBe('COMPLETED');
    expect(changed.operation).toBe('CHANGE_EXT_CONN');
    const grant = await lab.api.get(`/grant/v1/grants/${String(changed.grantId)}`);
    expect(grant.json).toMatchObject({ vnfInstanceId: vnfId, operation: 'CHANGE_EXT_CONN' });

    const info = (await instance(vnfId)).instantiatedVnfInfo;
    const [moved] = info?.vnfcResourceInfo ?? [];
    if (!moved) throw new Error('no VNFC after the change');
    expect(moved.id).toBe(vnfc.id);
    expect(moved.metadata.reservationId).toBe(vnfc.metadata.reservationId);
    expect(await heldClaimIds()).toEqual(claimsBefore);
    const newData = portOf(moved, 'lb_data');
    const newMgmt = portOf(moved, 'lb_mgmt');
    expect([newData, newMgmt]).not.toContain(oldData);
    expect([newData, newMgmt]).not.toContain(oldMgmt);
    expect(info?.extVirtualLinkInfo.map((link) => [link.id, link.resourceHandle.resourceId, link.extLinkPorts.map((item) => item.id)]).sort()).toEqual(
      [
        ['data-b', dataB, [newData]],
        ['mgmt', mgmtB, [newMgmt]],
      ].sort(),
    );
    expect(changed.resourceChanges.affectedVnfcs).toEqual([expect.objectContaining({ id: vnfc.id, changeType: 'MODIFIED' })]);
    expect(((changed.changedExtConnectivity ?? []) as Array<Json & { extLinkPorts: Json[] }>).map((link) => [link.id, (link.resourceHandle as Json).resourceId, link.extLinkPorts.map((item) => item.id)]).sort()).toEqual(
      [
        ['data-b', dataB, [newData]],
        ['mgmt', mgmtB, [newMgmt]],
      ].sort(),
    );
    expect(changed.resourceChanges.affectedExtLinkPorts.map((item) => [item.id, item.changeType]).sort()).toEqual(
      [
        [newData, 'ADDED'],
        [newMgmt, 'ADDED'],
        [oldData, 'REMOVED'],
        [oldMgmt, 'REMOVED'],
      ].sort(),
    );

    // The VIM: the new ports on the new networks, bound; the old ones gone.
    expect((await port(newData))?.network_id).toBe(dataB);
    expect((await port(newMgmt))?.network_id).toBe(mgmtB);
    expect(await port(oldData)).toBeUndefined();
    expect(await port(oldMgmt)).toBeUndefined();
    await eventuallyActive(newData);
    await eventuallyActive(newMgmt);

    // libvirt: the domain runs, its VF tagged with the new data network's VLAN, its virtio port the new VIM port.
    expect(await lab.domainState(moved)).toBe('running');
    const xml = await lab.domainXml(moved);
    expect(xml).toMatch(/<interface type='hostdev' managed='yes'>/);
    expect(xml).toContain(`<tag id='${await segmentOf(dataB)}'/>`);
    expect(xml).not.toContain(`<tag id='${await segmentOf(dataA)}'/>`);
    expect(xml).toContain(`interfaceid='${newMgmt}'`);
    expect(xml).not.toContain(`interfaceid='${oldMgmt}'`);
    expect(xml).toContain(`<mac address='${String((await port(newMgmt))?.mac_address)}'/>`);
    expect(xml).not.toContain(`<mac address='${oldMgmtMac}'/>`);

    // Open vSwitch: an interface per new port with its iface-id, none for the old ones, and the new management
    // port gets the frames of mgmt-b (its flows), none of mgmt-a.
    expect(await ovsIface(oldData)).toBe('');
    expect(await ovsIface(oldMgmt)).toBe('');
    expect(await ovsIface(newData)).not.toBe('');
    const mgmtIface = await ovsIface(newMgmt);
    expect(mgmtIface).not.toBe('');
    expect((await lab.ovs.vsctl('get', 'Interface', mgmtIface, 'external_ids:iface-id')).trim()).toBe(`"${newMgmt}"`);
    const ofport = (await lab.ovs.vsctl('get', 'Interface', mgmtIface, 'ofport')).trim();
    await eventually(async () => ((await deliveries(mgmtB, ofport)).length > 0 ? true : undefined), 10_000, 'the flows of mgmt-b to reach the new port');
    expect(await deliveries(mgmtA, ofport)).toEqual([]);
    expect(await deliveries(mgmtA, oldOfport)).toEqual([]);

    await terminated(vnfId);
  }, 120_000);

  it('rolls back a change that failed on the host: the old ports and the domain on them are back, the new ports gone', async () => {
    const vnfId = await instantiated(instantiateBody({ instantiationLevelId: 'single' }), 'lb-ext-conn-fails');
    const [vnfc] = await vnfcsOf(vnfId);
    if (!vnfc) throw new Error('no VNFC');
    const infoBefore = (await instance(vnfId)).instantiatedVnfInfo;
    const portsBefore = await portIds();
    const oldMgmt = portOf(vnfc, 'lb_mgmt');
    const oldMgmtMac = String((await port(oldMgmt))?.mac_address);

    const occurrenceId = await failingOnTheHost(`${INSTANCES}/${vnfId}/change_ext_conn`, { extVirtualLinks: [{ id: 'mgmt', resourceId: mgmtB, extCps: [{ cpdId: 'lb_mgmt' }] }] });
    const failed = await occurrence(occurrenceId);
    expect(String(failed.error?.detail)).toMatch(/refuses to start/);
    // Half done: a new management port on mgmt-b exists besides the old one.
    const added = (await portIds()).filter((id) => !portsBefore.includes(id));
    expect(added).toHaveLength(1);
    expect((await port(added[0] ?? ''))?.network_id).toBe(mgmtB);

    await rolledBack(occurrenceId);
    expect(await portIds()).toEqual(portsBefore);
    expect((await port(oldMgmt))?.network_id).toBe(mgmtA);
    expect((await port(oldMgmt))?.mac_address).toBe(oldMgmtMac);
    await eventuallyActive(oldMgmt);
    expect(await ovsIface(oldMgmt)).not.toBe('');
    expect(await ovsIface(added[0] ?? '')).toBe('');
    expect(await lab.domainState(vnfc)).toBe('running');
    const xml = await lab.domainXml(vnfc);
    expect(xml).toContain(`interfaceid='${oldMgmt}'`);
    expect(xml).not.toContain(`interfaceid='${added[0] ?? ''}'`);
    expect((await instance(vnfId)).instantiatedVnfInfo).toEqual(infoBefore);
    expect((await occurrence(occurrenceId)).resourceChanges.affectedExtLinkPorts).toEqual([]);
    await terminated(vnfId);
  }, 120_000);

  it('refuses bad requests with pointers and changes nothing', async () => {
    await refusing('lb-ext-conn-refusals', async (vnfId, notInstantiated) => {
      const path = `${INSTANCES}/${vnfId}/change_ext_conn`;
      const unknownCp = await lab.api.post(path, { extVirtualLinks: [{ id: 'x', resourceId: dataB, extCps: [{ cpdId: 'lb_mgmt' }, { cpdId: 'fw_data' }] }] });
      expect(unknownCp.status).toBe(422);
      expect(unknownCp.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(unknownCp.json.violations).toEqual([expect.objectContaining({ pointer: '/extVirtualLinks/0/extCps/1/cpdId' })]);
      const unknownNetwork = await lab.api.post(path, { extVirtualLinks: [{ id: 'x', resourceId: '00000000-0000-4000-8000-000000000000', extCps: [{ cpdId: 'lb_mgmt' }] }] });
      expect(unknownNetwork.status).toBe(422);
      expect(unknownNetwork.json.violations).toEqual([expect.objectContaining({ pointer: '/extVirtualLinks/0/resourceId' })]);
      const twice = await lab.api.post(path, { extVirtualLinks: [{ id: 'x', resourceId: dataB, extCps: [{ cpdId: 'lb_mgmt' }] }, { id: 'y', resourceId: mgmtB, extCps: [{ cpdId: 'lb_mgmt' }] }] });
      expect(twice.status).toBe(422);
      expect(twice.json.violations).toEqual([expect.objectContaining({ pointer: '/extVirtualLinks/1/extCps/0/cpdId' })]);
      const empty = await lab.api.post(path, { extVirtualLinks: [] });
      expect(empty.status).toBe(400);
      const unknownField = await lab.api.post(path, { extVirtualLinks: [{ id: 'x', resourceId: dataB, extCps: [{ cpdId: 'lb_mgmt' }] }], flavourId: 'small' });
      expect(unknownField.status).toBe(400);
      const notYet = await lab.api.post(`${INSTANCES}/${notInstantiated}/change_ext_conn`, { extVirtualLinks: [{ id: 'x', resourceId: dataB, extCps: [{ cpdId: 'lb_mgmt' }] }] });
      expect(notYet.status).toBe(409);
    });
  }, 90_000);
});

describe('change_flavour', () => {
  it('replaces the default flavour pair with the small flavour: old domains, claims and ports gone, the new domain with its EPA', async () => {
    const vnfId = await instantiated(instantiateBody(), 'lb-flavour');
    const before = await instance(vnfId);
    expect(before.instantiatedVnfInfo).toMatchObject({ flavourId: 'default', instantiationLevelId: 'pair', scaleStatus: [{ aspectId: 'lb_capacity', scaleLevel: 1 }] });
    const oldVnfcs = before.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    expect(oldVnfcs).toHaveLength(2);
    const oldPorts = oldVnfcs.flatMap((vnfc) => vnfc.vnfcCpInfo.map((cp) => cp.vnfLinkPortId));

    const changed = await run(`${INSTANCES}/${vnfId}/change_flavour`, { newFlavourId: 'small', additionalParams: { reason: 'quiet site' } });
    expect(changed.operationState).toBe('COMPLETED');
    expect(changed.operation).toBe('CHANGE_FLAVOUR');
    const grant = (await lab.api.get(`/grant/v1/grants/${String(changed.grantId)}`)).json as Json & { addResources: Json[]; removeResources: Json[] };
    expect(grant).toMatchObject({ operation: 'CHANGE_FLAVOUR', vnfInstanceId: vnfId });
    expect(grant.addResources).toHaveLength(1);
    expect(grant.removeResources.map((resource) => resource.resourceDefinitionId).sort()).toEqual(oldVnfcs.map((vnfc) => vnfc.id).sort());

    const after = (await instance(vnfId)).instantiatedVnfInfo;
    expect(after).toMatchObject({ flavourId: 'small', instantiationLevelId: 'single', scaleStatus: [], vnfState: 'STARTED' });
    const [vnfc] = after?.vnfcResourceInfo ?? [];
    if (!vnfc || after?.vnfcResourceInfo.length !== 1) throw new Error('the small flavour has one VNFC');
    expect(oldVnfcs.map((old) => old.id)).not.toContain(vnfc.id);
    expect(changed.resourceChanges.affectedVnfcs.map((item) => [item.id, item.changeType]).sort()).toEqual(
      [...oldVnfcs.map((old) => [old.id, 'REMOVED']), [vnfc.id, 'ADDED']].sort(),
    );

    // libvirt and the scheduler: the old domains and claims gone; the new one runs on one pinned CPU and 1 GiB pages.
    for (const old of oldVnfcs) expect(await lab.domainState(old)).toBe('missing');
    expect(await heldClaimIds()).toEqual([vnfc.metadata.reservationId]);
    expect((await lab.vim.scheduler.claimsOf({ owner: String(changed.grantId) })).map((claim) => claim.id)).toEqual([vnfc.metadata.reservationId]);
    expect(await lab.domainState(vnfc)).toBe('running');
    const xml = await lab.domainXml(vnfc);
    expect(xml.match(/<vcpupin /g)).toHaveLength(1);
    expect(xml).toMatch(/<vcpupin vcpu='0' cpuset='\d+'\/>/);
    expect(xml).toMatch(/<page size='1048576' unit='KiB'/);
    expect(xml).toMatch(/<interface type='hostdev' managed='yes'>/);
    expect(xml).toContain(`<tag id='${await segmentOf(dataA)}'/>`);

    // The external connectivity carried over: the new VNFC's CPs on the same networks, bound; the old ports gone.
    const newPorts = vnfc.vnfcCpInfo.map((cp) => cp.vnfLinkPortId);
    expect(await Promise.all(newPorts.map(async (id) => (await port(id))?.network_id))).toEqual([dataA, mgmtA]);
    expect((await port(portOf(vnfc, 'lb_data')))?.fixed_ips).toEqual([expect.objectContaining({ ip_address: '198.18.20.10' })]);
    for (const id of newPorts) {
      await eventuallyActive(id);
      expect(await ovsIface(id)).not.toBe('');
    }
    for (const id of oldPorts) {
      expect(await port(id)).toBeUndefined();
      expect(await ovsIface(id)).toBe('');
    }
    expect(await portIds()).toEqual([...newPorts].sort());

    // Back to the default flavour at `triple`: four VFs with the small flavour's, on a host of three. Refused by
    // placement: FAILED_TEMP naming the VDU; rollback leaves the small flavour as it was, nothing leaked.
    const refusedId = await lab.task(`${INSTANCES}/${vnfId}/change_flavour`, { newFlavourId: 'default', instantiationLevelId: 'triple' });
    expect((await lab.settled(`${OCCS}/${refusedId}`)).operationState).toBe('FAILED_TEMP');
    const refused = await occurrence(refusedId);
    expect(refused.error?.status).toBe(403);
    expect(String(refused.error?.detail)).toMatch(/No room for VDU lb/);
    expect(await heldClaimIds()).toEqual([vnfc.metadata.reservationId]);
    await rolledBack(refusedId);
    expect(await heldClaimIds()).toEqual([vnfc.metadata.reservationId]);
    expect(await portIds()).toEqual([...newPorts].sort());
    expect(await lab.domainState(vnfc)).toBe('running');
    expect((await instance(vnfId)).instantiatedVnfInfo).toMatchObject({ flavourId: 'small', vnfcResourceInfo: [expect.objectContaining({ id: vnfc.id })] });

    // The default flavour at `pair` fits: back to two VNFCs and the aspect's level.
    const back = await run(`${INSTANCES}/${vnfId}/change_flavour`, { newFlavourId: 'default', instantiationLevelId: 'pair' });
    expect(back.operationState).toBe('COMPLETED');
    const restored = (await instance(vnfId)).instantiatedVnfInfo;
    expect(restored).toMatchObject({ flavourId: 'default', instantiationLevelId: 'pair', scaleStatus: [{ aspectId: 'lb_capacity', scaleLevel: 1 }] });
    expect(restored?.vnfcResourceInfo).toHaveLength(2);
    expect(await lab.domainState(vnfc)).toBe('missing');
    for (const added of restored?.vnfcResourceInfo ?? []) {
      expect(await lab.domainState(added)).toBe('running');
      expect((await lab.domainXml(added)).match(/<vcpupin /g)).toHaveLength(2);
    }
    expect(await heldClaimIds()).toEqual((restored?.vnfcResourceInfo ?? []).map((added) => added.metadata.reservationId).sort());
    await terminated(vnfId);
  }, 180_000);

  it('rolls back a change that failed after the old VNFCs were removed: they, their ports and claims are back', async () => {
    const vnfId = await instantiated(instantiateBody(), 'lb-flavour-fails');
    const before = await instance(vnfId);
    const oldVnfcs = before.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    const portsBefore = await portIds();
    const claimsBefore = await heldClaimIds();
    const macs = new Map(await Promise.all(portsBefore.map(async (id) => [id, String((await port(id))?.mac_address)] as const)));

    const occurrenceId = await failingOnTheHost(`${INSTANCES}/${vnfId}/change_flavour`, { newFlavourId: 'small' });
    const failed = await occurrence(occurrenceId);
    expect(String(failed.error?.detail)).toMatch(/refuses to start/);
    // Half done: the old VNFCs and their ports are gone, the new flavour's claim is held besides theirs.
    for (const old of oldVnfcs) expect(await lab.domainState(old)).toBe('missing');
    for (const id of portsBefore) expect(await port(id)).toBeUndefined();
    expect(await heldClaimIds()).toHaveLength(3);

    await rolledBack(occurrenceId);
    expect(await heldClaimIds()).toEqual(claimsBefore);
    expect(await portIds()).toEqual(portsBefore);
    for (const id of portsBefore) {
      expect((await port(id))?.mac_address).toBe(macs.get(id));
      await eventuallyActive(id);
      expect(await ovsIface(id)).not.toBe('');
    }
    for (const old of oldVnfcs) {
      expect(await lab.domainState(old)).toBe('running');
      expect((await lab.domainXml(old)).match(/<vcpupin /g)).toHaveLength(2);
    }
    const domains = await (await lab.computeDriver()).list();
    expect(domains.filter((domain) => domain.name.startsWith(`vnf-${vnfId.slice(0, 8)}`))).toHaveLength(2);
    expect(await instance(vnfId)).toEqual(before);
    expect((await occurrence(occurrenceId)).resourceChanges.affectedVnfcs).toEqual([]);
    await terminated(vnfId);
  }, 120_000);

  it('refuses bad requests with pointers and changes nothing', async () => {
    await refusing('lb-flavour-refusals', async (vnfId, notInstantiated) => {
      const path = `${INSTANCES}/${vnfId}/change_flavour`;
      const refusals: Array<[Json, string]> = [
        [{ newFlavourId: 'huge' }, '/newFlavourId'],
        [{ newFlavourId: 'default' }, '/newFlavourId'],
        [{ newFlavourId: 'small', instantiationLevelId: 'pair' }, '/instantiationLevelId'],
        [{ newFlavourId: 'small', extVirtualLinks: [{ id: 'x', resourceId: dataB, extCps: [{ cpdId: 'engine_data' }] }] }, '/extVirtualLinks/0/extCps/0/cpdId'],
        [{ newFlavourId: 'small', extVirtualLinks: [{ id: 'x', resourceId: '00000000-0000-4000-8000-000000000000', extCps: [{ cpdId: 'lb_data' }] }] }, '/extVirtualLinks/0/resourceId'],
        [{ newFlavourId: 'small', extManagedVirtualLinks: [{ id: 'x', vnfVirtualLinkDescId: 'internal', resourceId: dataB }] }, '/extManagedVirtualLinks/0/vnfVirtualLinkDescId'],
      ];
      for (const [body, pointer] of refusals) {
        const answer = await lab.api.post(path, body);
        expect([pointer, answer.status]).toEqual([pointer, 422]);
        expect(answer.json.violations).toEqual([expect.objectContaining({ pointer })]);
      }
      const noFlavour = await lab.api.post(path, { instantiationLevelId: 'single' });
      expect(noFlavour.status).toBe(400);
      expect((noFlavour.json.violations as Json[]).map((violation) => violation.pointer)).toContain('/newFlavourId');
      expect((await lab.api.post(path, { newFlavourId: 'small', flavourId: 'small' })).status).toBe(400);
      expect((await lab.api.post(`${INSTANCES}/${notInstantiated}/change_flavour`, { newFlavourId: 'small' })).status).toBe(409);
    });
  }, 90_000);
});

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FAST_LEASE = { NFV_OPERATION_LEASE: '0.5' };

/**
 * The product in a child process (run by tsx from the repository root), which starts the VNF task `CRASH_TASK`
 * with the body `CRASH_BODY` and kills itself (SIGKILL) once the step `CRASH_STEP` of that operation is done.
 */
const CRASH_WORKER = `
const { startProduct, TEST_TOKEN } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'test', 'support', 'application.ts')).href)});
const product = await startProduct(process.env);
const vnfm = product.application.modules.find((module) => module.name === 'vnfm');
vnfm.manager().lifecycle.engine.on('changed', (operation) => {
  if (operation.steps.find((step) => step.name === process.env.CRASH_STEP)?.status === 'done') process.kill(process.pid, 'SIGKILL');
});
const answer = await fetch(product.url + process.env.CRASH_TASK, {
  method: 'POST',
  headers: { Authorization: 'Bearer ' + TEST_TOKEN, 'Content-Type': 'application/json' },
  body: process.env.CRASH_BODY,
});
if (answer.status !== 202) {
  process.stderr.write('the task answered ' + answer.status + ': ' + (await answer.text()) + '\\n');
  process.exit(2);
}
setTimeout(() => process.exit(3), 60_000).unref();
setInterval(() => undefined, 1000);
`;

describe('change_flavour and change_ext_conn survive the orchestrator being killed', () => {
  let ovs: OvsInstance;
  let dataDir: string;
  let crashLab: LifecycleLab | undefined;
  let networks: { data: string; mgmt: string; otherMgmt: string };

  beforeAll(async () => {
    ovs = await OvsInstance.start('change-crash');
    const first = await LifecycleLab.start({ packages: ['vlb'], ovs, env: FAST_LEASE });
    networks = { data: await first.network('data'), mgmt: await first.network('mgmt'), otherMgmt: await first.network('mgmt-2') };
    dataDir = await first.stopKeepingData();
  }, 120_000);

  afterAll(async () => {
    await forgetTestDriverDomains();
    await crashLab?.stop();
    if (!crashLab && dataDir) removeTempDir(dataDir);
    await ovs?.stop();
  });

  async function restarted(): Promise<LifecycleLab> {
    crashLab = await LifecycleLab.start({ ovs, dataDir, env: FAST_LEASE });
    return crashLab;
  }

  async function stopped(running: LifecycleLab): Promise<void> {
    await running.stopKeepingData();
    crashLab = undefined;
  }

  async function runUntilKilled(step: string, task: string, body: Json): Promise<void> {
    await runProductUntilKilled({
      args: ['--input-type=module', '-e', CRASH_WORKER],
      cwd: ROOT,
      switchDir: ovs.dir,
      dataDir,
      env: { ...FAST_LEASE, CRASH_STEP: step, CRASH_TASK: task, CRASH_BODY: JSON.stringify(body) },
      what: `after ${step}`,
    });
  }

  /** The VIM ports the switch has an interface for (by iface-id). */
  async function pluggedPortIds(running: LifecycleLab): Promise<string[]> {
    const ids = await running.ovs.vsctl('--bare', '--columns=external_ids', 'list', 'Interface');
    return [...ids.matchAll(/iface-id="?([0-9a-f-]{36})/g)].map((match) => match[1] ?? '').sort();
  }

  /** Instantiates the vLB at `single`, then hands the data dir to the child that is killed mid-operation. */
  async function killedDuring(task: 'change_flavour' | 'change_ext_conn', step: string, body: Json): Promise<{ running: LifecycleLab; vnfId: string; before: InstanceInfo; occurrence: Json }> {
    let running = await restarted();
    const vnfId = await running.createVnf(VNFD_IDS.vlb, `crash-${task}-${step}`);
    const instantiation = await running.task(`${INSTANCES}/${vnfId}/instantiate`, {
      flavourId: 'default',
      instantiationLevelId: 'single',
      extVirtualLinks: [
        { id: 'data', resourceId: networks.data, extCps: [{ cpdId: 'lb_data' }] },
        { id: 'mgmt', resourceId: networks.mgmt, extCps: [{ cpdId: 'lb_mgmt' }] },
      ],
    });
    expect((await running.settled(`${OCCS}/${instantiation}`)).operationState).toBe('COMPLETED');
    const before = (await running.api.get(`${INSTANCES}/${vnfId}`)).json as unknown as InstanceInfo;
    await stopped(running);

    await runUntilKilled(step, `${INSTANCES}/${vnfId}/${task}`, body);

    running = await restarted();
    // The occurrence was persisted before its first step: the restarted orchestrator takes it over once its lease expires.
    const operation = task === 'change_flavour' ? 'CHANGE_FLAVOUR' : 'CHANGE_EXT_CONN';
    const occurrences = (await running.api.get(`${OCCS}?filter=(eq,vnfInstanceId,${vnfId});(eq,operation,${operation})`)).json as unknown as Json[];
    expect(occurrences).toHaveLength(1);
    const occurrenceId = String(occurrences[0]?.id);
    const resumed = await running.settled(`${OCCS}/${occurrenceId}`, 120_000);
    if (resumed.operationState !== 'COMPLETED') throw new Error(`not resumed: ${JSON.stringify((await running.api.get(`${OCCS}/${occurrenceId}`)).json.error)}`);
    return { running, vnfId, before, occurrence: resumed };
  }

  /** Terminate leaves no claim, VIM port or switch interface. */
  async function terminatedLeavingNothing(running: LifecycleLab, vnfId: string): Promise<void> {
    const termination = await running.task(`${INSTANCES}/${vnfId}/terminate`, { terminationType: 'FORCEFUL' });
    expect((await running.settled(`${OCCS}/${termination}`)).operationState).toBe('COMPLETED');
    expect((await running.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
    expect(await running.vim.scheduler.claimsOf({ hostId: running.hostId })).toEqual([]);
    expect(((await running.api.get('/v2.0/ports')).json.ports as Json[]).length).toBe(0);
    expect(await pluggedPortIds(running)).toEqual([]);
    await stopped(running);
  }

  for (const step of ['remove-vnfcs', 'vnfcs']) {
    it(`resumes a flavour change killed after its ${step} step: the small flavour's VNFC only, then nothing left`, async () => {
      const { running, vnfId, before } = await killedDuring('change_flavour', step, { newFlavourId: 'small' });
      const info = ((await running.api.get(`${INSTANCES}/${vnfId}`)).json as unknown as InstanceInfo).instantiatedVnfInfo;
      expect(info).toMatchObject({ flavourId: 'small', instantiationLevelId: 'single', scaleStatus: [] });
      const [vnfc] = info?.vnfcResourceInfo ?? [];
      if (!vnfc || info?.vnfcResourceInfo.length !== 1) throw new Error('the small flavour has one VNFC');
      expect(before.instantiatedVnfInfo?.vnfcResourceInfo.map((old) => old.id)).not.toContain(vnfc.id);
      // Nothing done twice, nothing of the old flavour kept: one claim, the new VNFC's two ports, on the switch too.
      expect((await running.vim.scheduler.claimsOf({ hostId: running.hostId })).map((claim) => claim.id)).toEqual([vnfc.metadata.reservationId]);
      const ports = vnfc.vnfcCpInfo.map((cp) => cp.vnfLinkPortId).sort();
      expect(((await running.api.get('/v2.0/ports')).json.ports as Json[]).map((item) => String(item.id)).sort()).toEqual(ports);
      await eventually(async () => (JSON.stringify(await pluggedPortIds(running)) === JSON.stringify(ports) ? true : undefined), 10_000, 'the switch to hold the new ports only');
      await terminatedLeavingNothing(running, vnfId);
    }, 180_000);
  }

  for (const step of ['ports', 'vnfcs']) {
    it(`resumes an external connectivity change killed after its ${step} step: the management CP on the other network only, then nothing left`, async () => {
      const change = { extVirtualLinks: [{ id: 'mgmt', resourceId: networks.otherMgmt, extCps: [{ cpdId: 'lb_mgmt' }] }] };
      const { running, vnfId, before } = await killedDuring('change_ext_conn', step, change);
      const [old] = before.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
      const [vnfc] = ((await running.api.get(`${INSTANCES}/${vnfId}`)).json as unknown as InstanceInfo).instantiatedVnfInfo?.vnfcResourceInfo ?? [];
      if (!old || !vnfc) throw new Error('no VNFC');
      expect(vnfc.id).toBe(old.id);
      const mgmtPort = (await running.api.get(`/v2.0/ports/${portOf(vnfc, 'lb_mgmt')}`)).json.port as Json;
      expect(mgmtPort.network_id).toBe(networks.otherMgmt);
      expect(portOf(vnfc, 'lb_data')).toBe(portOf(old, 'lb_data'));
      expect((await running.api.get(`/v2.0/ports/${portOf(old, 'lb_mgmt')}`)).status).toBe(404);
      const ports = vnfc.vnfcCpInfo.map((cp) => cp.vnfLinkPortId).sort();
      expect(((await running.api.get('/v2.0/ports')).json.ports as Json[]).map((item) => String(item.id)).sort()).toEqual(ports);
      await eventually(async () => (JSON.stringify(await pluggedPortIds(running)) === JSON.stringify(ports) ? true : undefined), 10_000, 'the switch to hold the current ports only');
      expect((await running.vim.scheduler.claimsOf({ hostId: running.hostId })).map((claim) => claim.id)).toEqual([old.metadata.reservationId]);
      await terminatedLeavingNothing(running, vnfId);
    }, 180_000);
  }
});
