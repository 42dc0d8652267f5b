/**
 * SOL 003 VNF lifecycle on libvirt's test driver and a harness Open vSwitch: instantiate with a grant (real
 * placement and reservation), VNFCs defined with their EPA, ports on OVS and bound, terminate leaving nothing;
 * a grant refused by placement goes FAILED_TEMP naming the cause, and rollback gives everything back.
 */
import { VNFD_IDS, LifecycleLab } from '../support/lifecycle-lab.js';
import type { Json } from '../nfvo/support/api.js';

const OCCS = '/vnflcm/v1/vnf_lcm_op_occs';
const INSTANCES = '/vnflcm/v1/vnf_instances';

let lab: LifecycleLab;
let dataNetwork: string;
let mgmtNetwork: string;

beforeAll(async () => {
  lab = await LifecycleLab.start({ packages: ['vfw', 'dpi'] });
  dataNetwork = await lab.network('data');
  mgmtNetwork = await lab.network('mgmt');
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

function instantiateBody(extra: Json = {}): Json {
  return {
    flavourId: 'default',
    extVirtualLinks: [
      { id: 'data', resourceId: dataNetwork, extCps: [{ cpdId: 'fw_data', cpConfig: { a: { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: ['198.18.7.10'] }] } }] } } }] },
      { id: 'mgmt', resourceId: mgmtNetwork, extCps: [{ cpdId: 'fw_mgmt' }] },
    ],
    ...extra,
  };
}

describe('VNF instantiate and terminate', () => {
  it('instantiates a vFW on a granted reservation, with its EPA domain and bound ports, and terminates it leaving nothing', async () => {
    const vnfId = await lab.createVnf(VNFD_IDS.vfw, 'fw-1');
    const occurrenceId = await lab.task(`${INSTANCES}/${vnfId}/instantiate`, instantiateBody());
    const occurrence = await lab.settled(`${OCCS}/${occurrenceId}`);
    expect(occurrence.operationState).toBe('COMPLETED');
    expect(occurrence.operation).toBe('INSTANTIATE');
    const full = (await lab.api.get(`${OCCS}/${occurrenceId}`)).json as Json & { resourceChanges: { affectedVnfcs: Json[]; affectedExtLinkPorts: Json[] } };
    const [addedVnfc] = full.resourceChanges.affectedVnfcs as Array<{ id: string }>;
    expect(full.resourceChanges.affectedVnfcs).toEqual([expect.objectContaining({ vduId: 'fw', changeType: 'ADDED', affectedVnfcCpIds: [`${addedVnfc?.id}/fw_data`, `${addedVnfc?.id}/fw_mgmt`] })]);
    expect(full.resourceChanges.affectedExtLinkPorts).toHaveLength(2);
    expect(typeof full.grantId).toBe('string');

    const instance = (await lab.api.get(`${INSTANCES}/${vnfId}`)).json as Json & { instantiatedVnfInfo: { vnfcResourceInfo: Array<Json & { metadata: { hostId: string; reservationId: string; name: string }; vnfcCpInfo: Array<{ vnfLinkPortId: string }> }>; extCpInfo: Json[] } };
    expect(instance.instantiationState).toBe('INSTANTIATED');
    const [vnfc] = instance.instantiatedVnfInfo.vnfcResourceInfo;
    if (!vnfc) throw new Error('no VNFC');
    expect(vnfc.metadata.hostId).toBe(lab.hostId);
    expect(instance.instantiatedVnfInfo.extCpInfo).toHaveLength(2);

    // libvirt: the domain runs, pinned to the claim's CPUs, backed by 1 GiB pages, with a VF of the NUMA-local PF.
    const listed = await (await lab.computeDriver(lab.hostId)).list();
    expect(listed).toContainEqual(expect.objectContaining({ name: vnfc.metadata.name, uuid: vnfc.id, state: 'running' }));
    const xml = await lab.domainXml({ id: String(vnfc.id), metadata: vnfc.metadata });
    expect(xml).toMatch(/<vcpupin vcpu='0' cpuset='\d+'\/>/);
    expect(xml).toMatch(/<page size='1048576' unit='KiB'/);
    // The VF of the data CP, on the PF of the pinned CPUs' NUMA node, tagged with the data network's VLAN.
    expect(xml).toMatch(/<interface type='hostdev' managed='yes'>/);
    expect(xml).toMatch(/<interface type='bridge'>[\s\S]*<virtualport type='openvswitch'>/);
    const [claim] = await lab.vim.scheduler.claimsOf({ owner: String(full.grantId) });
    expect(claim?.id).toBe(vnfc.metadata.reservationId);
    // The occurrence links to the grant, which names the reservation the VNFC runs on.
    const grantLink = ((full._links as Record<string, { href: string }>).grant?.href ?? '').replace(lab.product.url, '');
    const grant = await lab.api.get(grantLink);
    expect(grant.status).toBe(200);
    expect(grant.json).toMatchObject({ id: full.grantId, vnfInstanceId: vnfId, operation: 'INSTANTIATE', addResources: [expect.objectContaining({ reservationId: vnfc.metadata.reservationId, hostId: lab.hostId })] });
    expect((await lab.api.get('/grant/v1/grants/no-such-grant')).status).toBe(404);
    expect(claim?.devices.map((device) => device.physicalNetwork)).toEqual(['physnet-data']);
    expect(claim?.devices[0]?.numaNode).toBe(claim?.cells[0]?.hostCell);
    const vf = claim?.devices[0]?.vf?.address.split(/[:.]/) ?? [];
    expect(xml).toContain(`bus='0x${vf[1]}' slot='0x${vf[2]}' function='0x${vf[3]}'`);

    // OVS: a port per CP with the VIM port's iface-id, and the VIM sees them bound.
    const portIds = vnfc.vnfcCpInfo.map((cp) => cp.vnfLinkPortId);
    for (const portId of portIds) {
      const ifaces = await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${portId}`);
      expect(ifaces.trim()).not.toBe('');
      await eventuallyActive(portId);
    }
    const dataPort = (await lab.api.get(`/v2.0/ports/${portIds[0] ?? ''}`)).json as { port: { fixed_ips: Array<{ ip_address: string }> } };
    expect(dataPort.port.fixed_ips.map((ip) => ip.ip_address)).toEqual(['198.18.7.10']);

    const terminationId = await lab.task(`${INSTANCES}/${vnfId}/terminate`, { terminationType: 'GRACEFUL', gracefulTerminationTimeout: 5 });
    const termination = await lab.settled(`${OCCS}/${terminationId}`);
    expect(termination.operationState).toBe('COMPLETED');
    expect((await lab.api.get(`${INSTANCES}/${vnfId}`)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect((await (await lab.computeDriver(lab.hostId)).list()).map((domain) => domain.uuid)).not.toContain(vnfc.id);
    expect(await lab.vim.scheduler.claimsOf({ owner: String(full.grantId) })).toEqual([]);
    for (const portId of portIds) {
      expect((await lab.api.get(`/v2.0/ports/${portId}`)).status).toBe(404);
      expect((await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${portId}`)).trim()).toBe('');
    }
    expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
  }, 90_000);

  it('refuses bad requests with ProblemDetails and starts nothing', async () => {
    const vnfId = await lab.createVnf(VNFD_IDS.vfw);
    const before = ((await lab.api.get(OCCS)).json as unknown as Json[]).length;
    const badFlavour = await lab.api.post(`${INSTANCES}/${vnfId}/instantiate`, instantiateBody({ flavourId: 'huge' }));
    expect(badFlavour.status).toBe(422);
    expect(badFlavour.json.violations).toEqual([expect.objectContaining({ pointer: '/flavourId' })]);
    const badLevel = await lab.api.post(`${INSTANCES}/${vnfId}/instantiate`, instantiateBody({ instantiationLevelId: 'gigantic' }));
    expect(badLevel.status).toBe(422);
    expect(badLevel.json.violations).toEqual([expect.objectContaining({ pointer: '/instantiationLevelId' })]);
    const malformed = await lab.api.post(`${INSTANCES}/${vnfId}/instantiate`, { flavourId: 7, extVirtualLinks: 'x' });
    expect(malformed.status).toBe(400);
    expect((malformed.json.violations as Json[]).length).toBeGreaterThanOrEqual(1);
    const terminateNotInstantiated = await lab.api.post(`${INSTANCES}/${vnfId}/terminate`, { terminationType: 'FORCEFUL' });
    expect(terminateNotInstantiated.status).toBe(409);
    const noType = await lab.api.post(`${INSTANCES}/${vnfId}/terminate`, {});
    expect(noType.status).toBe(400);
    expect((await lab.api.get(`${OCCS}/nope`)).status).toBe(404);
    expect(((await lab.api.get(OCCS)).json as unknown as Json[]).length).toBe(before);
    expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
  });

  it('answers 409 with the occurrence in progress to a second operation on the instance', async () => {
    const vnfId = await lab.createVnf(VNFD_IDS.vfw);
    const first = await lab.task(`${INSTANCES}/${vnfId}/instantiate`, instantiateBody({ extVirtualLinks: [] }));
    const second = await lab.api.post(`${INSTANCES}/${vnfId}/instantiate`, instantiateBody({ extVirtualLinks: [] }));
    const settled = await lab.settled(`${OCCS}/${first}`);
    if (second.status === 409) expect(JSON.stringify(second.json)).toMatch(first);
    else expect(second.status).toBe(409);
    expect(settled.operationState).toBe('COMPLETED');
    const terminated = await lab.settled(`${OCCS}/${await lab.task(`${INSTANCES}/${vnfId}/terminate`, { terminationType: 'FORCEFUL' })}`);
    expect(terminated.operationState).toBe('COMPLETED');
  }, 60_000);

  it('goes FAILED_TEMP with the placement explanation when the grant is refused, and rolls back to nothing held', async () => {
    const vnfId = await lab.createVnf(VNFD_IDS.dpi, 'dpi-full');
    const occurrenceId = await lab.task(`${INSTANCES}/${vnfId}/instantiate`, { flavourId: 'default', instantiationLevelId: 'full' });
    const failed = await lab.settled(`${OCCS}/${occurrenceId}`);
    expect(failed.operationState).toBe('FAILED_TEMP');
    const error = (await lab.api.get(`${OCCS}/${occurrenceId}`)).json.error as Json;
    expect(error.status).toBe(403);
    expect(String(error.detail)).toMatch(/No room for VDU engine/);
    expect(String(error.detail)).toMatch(/host/);
    const grantId = String((await lab.api.get(`${OCCS}/${occurrenceId}`)).json.grantId ?? '');
    expect(grantId).toBe('');

    const rollback = await lab.api.post(`${OCCS}/${occurrenceId}/rollback`, {});
    expect(rollback.status).toBe(202);
    const rolledBack = await lab.settled(`${OCCS}/${occurrenceId}`);
    expect(rolledBack.operationState).toBe('ROLLED_BACK');
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    expect((await lab.api.get(`${INSTANCES}/${vnfId}`)).json.instantiationState).toBe('NOT_INSTANTIATED');
    expect((await lab.api.post(`${OCCS}/${occurrenceId}/retry`, {})).status).toBe(409);
  }, 60_000);
});

describe('modifying VNF instance information', () => {
  it('applies a merge patch as an operation occurrence (MODIFY_INFO), honouring If-Match', async () => {
    const created = await lab.api.post(INSTANCES, { vnfdId: VNFD_IDS.vfw, vnfInstanceName: 'before', metadata: { site: 'paris', keep: 1 } });
    const vnfId = String(created.json.id);
    const stale = await lab.api.patch(`${INSTANCES}/${vnfId}`, { vnfInstanceName: 'after' }, { 'If-Match': '"999"' });
    expect(stale.status).toBe(412);
    expect((await lab.api.patch(`${INSTANCES}/${vnfId}`, { vnfdId: 'other' })).status).toBe(400);
    expect((await lab.api.patch(`${INSTANCES}/${vnfId}`, {})).status).toBe(400);
    const answer = await lab.api.patch(`${INSTANCES}/${vnfId}`, { vnfInstanceName: 'after', metadata: { site: null, rack: 'r7' }, vnfConfigurableProperties: { autoScalable: true } });
    expect(answer.status).toBe(202);
    const occurrenceId = (answer.headers.get('location') ?? '').split('/').pop() ?? '';
    const settled = await lab.settled(`${OCCS}/${occurrenceId}`);
    expect(settled).toMatchObject({ operationState: 'COMPLETED', operation: 'MODIFY_INFO' });
    const shown = (await lab.api.get(`${INSTANCES}/${vnfId}`)).json;
    expect(shown).toMatchObject({ vnfInstanceName: 'after', metadata: { keep: 1, rack: 'r7' }, vnfConfigurableProperties: { autoScalable: true } });
    expect((shown.metadata as Json).site).toBeUndefined();
    expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
  });
});

describe('cancelling a VNF operation', () => {
  it('stops an instantiation before its next step (FAILED_TEMP, cancelled), and rollback then gives everything back', async () => {
    const host = await lab.vim.inventory.host(lab.hostId);
    if (!host) throw new Error('host gone');
    const driver = await lab.vim.compute.driverOf(host.value);
    const start = driver.start.bind(driver);
    // A host slow to start domains: the cancel arrives while the VNFC step is under way.
    driver.start = async (ref) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await start(ref);
    };
    try {
      const vnfId = await lab.createVnf(VNFD_IDS.vfw, 'cancelled');
      const occurrenceId = await lab.task(`${INSTANCES}/${vnfId}/instantiate`, instantiateBody({ extVirtualLinks: [] }));
      for (let attempt = 0; attempt < 100 && (await lab.api.get(`${OCCS}/${occurrenceId}`)).json.operationState === 'STARTING'; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const cancel = await lab.api.post(`${OCCS}/${occurrenceId}/cancel`, { cancelMode: 'GRACEFUL' });
      expect(cancel.status).toBe(202);
      expect((await lab.api.get(`${OCCS}/${occurrenceId}`)).json.isCancelPending).toBe(true);
      const cancelled = await lab.settled(`${OCCS}/${occurrenceId}`);
      expect(cancelled.operationState).toBe('FAILED_TEMP');
      expect(cancelled.isCancelPending).toBe(false);
      const error = (await lab.api.get(`${OCCS}/${occurrenceId}`)).json.error as Json;
      expect(error.title).toBe('Operation cancelled');
      expect((await lab.api.get(`${INSTANCES}/${vnfId}`)).json.instantiationState).toBe('NOT_INSTANTIATED');
      expect((await lab.api.post(`${OCCS}/${occurrenceId}/cancel`, { cancelMode: 'FORCEFUL' })).status).toBe(409);

      expect((await lab.api.post(`${OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
      expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('ROLLED_BACK');
      const grantId = String((await lab.api.get(`${OCCS}/${occurrenceId}`)).json.grantId ?? '');
      expect(grantId).not.toBe('');
      expect(await lab.vim.scheduler.claimsOf({ owner: grantId })).toEqual([]);
      expect((await driver.list()).filter((domain) => domain.name.startsWith(`vnf-${vnfId.slice(0, 8)}`))).toEqual([]);
      expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
    } finally {
      driver.start = start;
    }
  }, 60_000);
});

async function eventuallyActive(portId: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { json } = await lab.api.get(`/v2.0/ports/${portId}`);
    if ((json.port as Json | undefined)?.status === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${portId} never became ACTIVE`);
}
