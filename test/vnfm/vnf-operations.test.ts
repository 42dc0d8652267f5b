/**
 * SOL 003 VNF lifecycle operations beyond instantiate and terminate, on libvirt's test driver and a harness
 * Open vSwitch: operate (the domains' state follows), scale out and in by an aspect's steps (domains, claims,
 * VIM and OVS ports come and go), scale to a level, heal (a domain removed behind our back is recreated on the
 * same claim and ports); refusals before anything starts, and failures that roll back to nothing.
 */
import { VNFD_IDS, LifecycleLab, type InstanceInfo, type VnfcInfo } from '../support/lifecycle-lab.js';
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

function vfwBody(extra: Json = {}): Json {
  return {
    flavourId: 'default',
    extVirtualLinks: [
      { id: 'data', resourceId: dataNetwork, extCps: [{ cpdId: 'fw_data', cpConfig: { a: { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: ['198.18.9.10'] }] } }] } } }] },
      { id: 'mgmt', resourceId: mgmtNetwork, extCps: [{ cpdId: 'fw_mgmt' }] },
    ],
    ...extra,
  };
}

async function domainUuids(): Promise<string[]> {
  return (await (await lab.computeDriver()).list()).map((domain) => domain.uuid);
}

async function instance(vnfId: string): Promise<InstanceInfo> {
  return (await lab.api.get(`${INSTANCES}/${vnfId}`)).json as unknown as InstanceInfo;
}

async function vnfcsOf(vnfId: string): Promise<VnfcInfo[]> {
  return (await instance(vnfId)).instantiatedVnfInfo?.vnfcResourceInfo ?? [];
}

async function heldClaimIds(): Promise<string[]> {
  return (await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).map((claim) => claim.id).sort();
}

async function run(path: string, body: Json): Promise<Json> {
  return lab.settled(`${OCCS}/${await lab.task(path, body)}`);
}

async function instantiated(vnfdId: string, body: Json, name?: string): Promise<string> {
  const vnfId = await lab.createVnf(vnfdId, name);
  const occurrence = await run(`${INSTANCES}/${vnfId}/instantiate`, body);
  expect(occurrence.operationState).toBe('COMPLETED');
  return vnfId;
}

async function terminated(vnfId: string): Promise<void> {
  expect((await run(`${INSTANCES}/${vnfId}/terminate`, { terminationType: 'FORCEFUL' })).operationState).toBe('COMPLETED');
  expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
}

async function eventuallyActive(portId: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { json } = await lab.api.get(`/v2.0/ports/${portId}`);
    if ((json.port as Json | undefined)?.status === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${portId} never became ACTIVE`);
}

async function ovsIface(portId: string): Promise<string> {
  return (await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${portId}`)).trim();
}

function portIdsOf(vnfcs: readonly VnfcInfo[]): string[] {
  return vnfcs.flatMap((vnfc) => vnfc.vnfcCpInfo.map((cp) => cp.vnfLinkPortId));
}

async function occurrence(occurrenceId: string): Promise<Json & { resourceChanges: { affectedVnfcs: Json[] } }> {
  return (await lab.api.get(`${OCCS}/${occurrenceId}`)).json as Json & { resourceChanges: { affectedVnfcs: Json[] } };
}

describe('operate', () => {
  it('stops and starts every VNFC of the VNF', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody(), 'fw-operate');
    const [vnfc] = await vnfcsOf(vnfId);
    if (!vnfc) throw new Error('no VNFC');
    expect(await lab.domainState(vnfc)).toBe('running');

    const stopped = await run(`${INSTANCES}/${vnfId}/operate`, { changeStateTo: 'STOPPED', stopType: 'GRACEFUL', gracefulStopTimeout: 5 });
    expect(stopped.operationState).toBe('COMPLETED');
    expect(stopped.operation).toBe('OPERATE');
    expect(typeof stopped.grantId).toBe('string');
    expect(await lab.domainState(vnfc)).toBe('shutoff');
    expect((await instance(vnfId)).instantiatedVnfInfo?.vnfState).toBe('STOPPED');
    expect((await lab.api.get(`${INSTANCES}/${vnfId}`)).json.instantiatedVnfInfo).toMatchObject({ vnfcInfo: [{ id: vnfc.id, vduId: 'fw', vnfcState: 'STOPPED' }] });

    const started = await run(`${INSTANCES}/${vnfId}/operate`, { changeStateTo: 'STARTED' });
    expect(started.operationState).toBe('COMPLETED');
    expect(await lab.domainState(vnfc)).toBe('running');
    expect((await instance(vnfId)).instantiatedVnfInfo?.vnfState).toBe('STARTED');

    // A forceful stop powers it off at once; the claim stays with the stopped VNFC.
    expect((await run(`${INSTANCES}/${vnfId}/operate`, { changeStateTo: 'STOPPED' })).operationState).toBe('COMPLETED');
    expect(await lab.domainState(vnfc)).toBe('shutoff');
    expect(await heldClaimIds()).toEqual([vnfc.metadata.reservationId]);
    await terminated(vnfId);
    expect(await heldClaimIds()).toEqual([]);
  }, 90_000);
});

describe('scale', () => {
  it('scales the vFW out by a step (a second domain, claim and bound ports) and back in (all of it gone)', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody(), 'fw-scale');
    const [first] = await vnfcsOf(vnfId);
    if (!first) throw new Error('no VNFC');

    const outId = await lab.task(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'fw_capacity' });
    expect((await lab.settled(`${OCCS}/${outId}`)).operationState).toBe('COMPLETED');
    const out = await occurrence(outId);
    expect(out.operation).toBe('SCALE');
    expect(out.operationParams).toEqual({ type: 'SCALE_OUT', aspectId: 'fw_capacity', numberOfSteps: 1 });
    const [addedVnfc] = out.resourceChanges.affectedVnfcs as Array<{ id: string }>;
    expect(out.resourceChanges.affectedVnfcs).toEqual([expect.objectContaining({ vduId: 'fw', changeType: 'ADDED', affectedVnfcCpIds: [`${addedVnfc?.id}/fw_data`, `${addedVnfc?.id}/fw_mgmt`] })]);

    const info = await instance(vnfId);
    expect(info.instantiatedVnfInfo?.scaleStatus).toEqual([{ aspectId: 'fw_capacity', scaleLevel: 1 }]);
    const vnfcs = info.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    expect(vnfcs.map((vnfc) => vnfc.id)).toEqual([first.id, expect.any(String)]);
    const added = vnfcs[1];
    if (!added) throw new Error('no VNFC added');
    expect(added.vduId).toBe('fw');
    // libvirt: two running domains; the scheduler: two claims, the new one held by the scale's grant.
    expect(await lab.domainState(first)).toBe('running');
    expect(await lab.domainState(added)).toBe('running');
    expect(await heldClaimIds()).toEqual([first.metadata.reservationId, added.metadata.reservationId].sort());
    expect((await lab.vim.scheduler.claimsOf({ owner: String(out.grantId) })).map((claim) => claim.id)).toEqual([added.metadata.reservationId]);
    // VIM and OVS: the new VNFC's ports are on the networks of the first one's, bound and on the switch.
    const addedPorts = portIdsOf([added]);
    expect(addedPorts).toHaveLength(2);
    const networksOf = async (portIds: string[]) => Promise.all(portIds.map(async (portId) => ((await lab.api.get(`/v2.0/ports/${portId}`)).json.port as Json).network_id));
    expect(await networksOf(addedPorts)).toEqual(await networksOf(portIdsOf([first])));
    expect(await networksOf(addedPorts)).toEqual([dataNetwork, mgmtNetwork]);
    for (const portId of addedPorts) {
      await eventuallyActive(portId);
      expect(await ovsIface(portId)).not.toBe('');
    }

    // Refused before anything starts: past the maximum level, below 0, an unknown aspect.
    const before = ((await lab.api.get(OCCS)).json as unknown as Json[]).length;
    const tooFar = await lab.api.post(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'fw_capacity', numberOfSteps: 3 });
    expect(tooFar.status).toBe(422);
    expect(tooFar.json.violations).toEqual([expect.objectContaining({ pointer: '/numberOfSteps' })]);
    const belowZero = await lab.api.post(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_IN', aspectId: 'fw_capacity', numberOfSteps: 2 });
    expect(belowZero.status).toBe(422);
    expect(belowZero.json.violations).toEqual([expect.objectContaining({ pointer: '/numberOfSteps' })]);
    const unknownAspect = await lab.api.post(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'lb_capacity' });
    expect(unknownAspect.status).toBe(422);
    expect(unknownAspect.json.violations).toEqual([expect.objectContaining({ pointer: '/aspectId' })]);
    expect(((await lab.api.get(OCCS)).json as unknown as Json[]).length).toBe(before);

    const inId = await lab.task(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_IN', aspectId: 'fw_capacity', numberOfSteps: 1 });
    expect((await lab.settled(`${OCCS}/${inId}`)).operationState).toBe('COMPLETED');
    expect((await occurrence(inId)).resourceChanges.affectedVnfcs).toEqual([expect.objectContaining({ id: added.id, changeType: 'REMOVED' })]);
    const after = await instance(vnfId);
    expect(after.instantiatedVnfInfo?.scaleStatus).toEqual([{ aspectId: 'fw_capacity', scaleLevel: 0 }]);
    expect(after.instantiatedVnfInfo?.vnfcResourceInfo.map((vnfc) => vnfc.id)).toEqual([first.id]);
    expect(await lab.domainState(added)).toBe('missing');
    expect(await lab.domainState(first)).toBe('running');
    expect(await heldClaimIds()).toEqual([first.metadata.reservationId]);
    for (const portId of addedPorts) {
      expect((await lab.api.get(`/v2.0/ports/${portId}`)).status).toBe(404);
      expect(await ovsIface(portId)).toBe('');
    }
    for (const portId of portIdsOf([first])) expect(await ovsIface(portId)).not.toBe('');
    await terminated(vnfId);
  }, 120_000);

  it('goes FAILED_TEMP when placement refuses the scale out, and rolls back to the instance as it was', async () => {
    const vnfId = await instantiated(VNFD_IDS.dpi, { flavourId: 'default' }, 'dpi-scale');
    const [engine] = await vnfcsOf(vnfId);
    if (!engine) throw new Error('no VNFC');
    const domainsBefore = await domainUuids();

    // One step adds two engines of 8 isolated vCPUs: the host has room for one more, not two.
    const occurrenceId = await lab.task(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'inspection_capacity' });
    const failed = await lab.settled(`${OCCS}/${occurrenceId}`);
    expect(failed.operationState).toBe('FAILED_TEMP');
    const error = (await occurrence(occurrenceId)).error as Json;
    expect(error.status).toBe(403);
    expect(String(error.detail)).toMatch(/No room for VDU engine/);
    // The grant gave back the engine it had placed before refusing.
    expect(await heldClaimIds()).toEqual([engine.metadata.reservationId]);

    expect((await lab.api.post(`${OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('ROLLED_BACK');
    expect(await heldClaimIds()).toEqual([engine.metadata.reservationId]);
    expect((await domainUuids()).sort()).toEqual(domainsBefore.sort());
    const info = await instance(vnfId);
    expect(info.instantiatedVnfInfo?.scaleStatus).toEqual([{ aspectId: 'inspection_capacity', scaleLevel: 0 }]);
    expect(info.instantiatedVnfInfo?.vnfcResourceInfo.map((vnfc) => vnfc.id)).toEqual([engine.id]);
    expect(await lab.domainState(engine)).toBe('running');
    await terminated(vnfId);
  }, 90_000);

  it('rolls back a scale out that failed on the host after its ports and reservation were made', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody(), 'fw-host-fails');
    const [first] = await vnfcsOf(vnfId);
    if (!first) throw new Error('no VNFC');
    const domainsBefore = await domainUuids();
    const portsBefore = ((await lab.api.get('/v2.0/ports')).json.ports as Json[]).map((port) => port.id);

    const host = await lab.computeDriver();
    const start = host.start.bind(host);
    host.start = async () => {
      throw new Error('the host refuses to start domains');
    };
    let occurrenceId: string;
    try {
      occurrenceId = await lab.task(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'fw_capacity' });
      expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('FAILED_TEMP');
    } finally {
      host.start = start;
    }
    const failed = await lab.api.get(`${OCCS}/${occurrenceId}`);
    expect(String((failed.json.error as Json).detail)).toMatch(/refuses to start/);
    expect((await heldClaimIds()).length).toBe(2);

    expect((await lab.api.post(`${OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('ROLLED_BACK');
    expect(await heldClaimIds()).toEqual([first.metadata.reservationId]);
    expect((await domainUuids()).sort()).toEqual(domainsBefore.sort());
    expect(((await lab.api.get('/v2.0/ports')).json.ports as Json[]).map((port) => port.id).sort()).toEqual([...portsBefore].sort());
    expect((await vnfcsOf(vnfId)).map((vnfc) => vnfc.id)).toEqual([first.id]);
    expect((await occurrence(occurrenceId)).resourceChanges.affectedVnfcs).toEqual([]);
    await terminated(vnfId);
  }, 90_000);

  it('rolls back a scale in that failed before giving back the reservations: the VNFC, its ports and MACs are back', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody({ instantiationLevelId: 'small' }), 'fw-scale-in-fails');
    expect((await run(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'fw_capacity' })).operationState).toBe('COMPLETED');
    const [first, second] = await vnfcsOf(vnfId);
    if (!first || !second) throw new Error('no VNFCs');
    const portsBefore = await Promise.all(portIdsOf([second]).map(async (portId) => (await lab.api.get(`/v2.0/ports/${portId}`)).json.port as Json));

    const scheduler = lab.vim.scheduler;
    const releaseOne = scheduler.releaseOne.bind(scheduler);
    scheduler.releaseOne = async () => {
      throw new Error('the scheduler is unavailable');
    };
    let occurrenceId: string;
    try {
      occurrenceId = await lab.task(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_IN', aspectId: 'fw_capacity' });
      expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('FAILED_TEMP');
    } finally {
      scheduler.releaseOne = releaseOne;
    }
    // Half done: the VNFC and its ports are gone, its reservation is still held.
    expect(await lab.domainState(second)).toBe('missing');
    expect((await lab.api.get(`/v2.0/ports/${portIdsOf([second])[0] ?? ''}`)).status).toBe(404);

    expect((await lab.api.post(`${OCCS}/${occurrenceId}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${OCCS}/${occurrenceId}`)).operationState).toBe('ROLLED_BACK');
    expect(await lab.domainState(second)).toBe('running');
    expect(await heldClaimIds()).toEqual([first.metadata.reservationId, second.metadata.reservationId].sort());
    for (const port of portsBefore) {
      const restored = (await lab.api.get(`/v2.0/ports/${String(port.id)}`)).json.port as Json;
      expect(restored.mac_address).toBe(port.mac_address);
      expect(restored.network_id).toBe(port.network_id);
      await eventuallyActive(String(port.id));
      expect(await ovsIface(String(port.id))).not.toBe('');
    }
    const info = await instance(vnfId);
    expect(info.instantiatedVnfInfo?.vnfcResourceInfo.map((vnfc) => vnfc.id)).toEqual([first.id, second.id]);
    expect(info.instantiatedVnfInfo?.scaleStatus).toEqual([{ aspectId: 'fw_capacity', scaleLevel: 1 }]);

    // The same scale in, run again, goes through.
    expect((await run(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_IN', aspectId: 'fw_capacity' })).operationState).toBe('COMPLETED');
    expect(await heldClaimIds()).toEqual([first.metadata.reservationId]);
    await terminated(vnfId);
  }, 120_000);

  it('scales to a level given by aspect or by instantiation level', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody(), 'fw-levels');
    const up = await run(`${INSTANCES}/${vnfId}/scale_to_level`, { scaleInfo: [{ aspectId: 'fw_capacity', scaleLevel: 2 }] });
    expect(up.operationState).toBe('COMPLETED');
    expect(up.operation).toBe('SCALE_TO_LEVEL');
    let info = await instance(vnfId);
    expect(info.instantiatedVnfInfo?.scaleStatus).toEqual([{ aspectId: 'fw_capacity', scaleLevel: 2 }]);
    const vnfcs = info.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    expect(vnfcs).toHaveLength(3);
    for (const vnfc of vnfcs) expect(await lab.domainState(vnfc)).toBe('running');
    expect(await heldClaimIds()).toEqual(vnfcs.map((vnfc) => vnfc.metadata.reservationId).sort());

    const down = await run(`${INSTANCES}/${vnfId}/scale_to_level`, { instantiationLevelId: 'small' });
    expect(down.operationState).toBe('COMPLETED');
    info = await instance(vnfId);
    expect(info.instantiatedVnfInfo?.instantiationLevelId).toBe('small');
    expect(info.instantiatedVnfInfo?.scaleStatus).toEqual([{ aspectId: 'fw_capacity', scaleLevel: 0 }]);
    expect(info.instantiatedVnfInfo?.vnfcResourceInfo.map((vnfc) => vnfc.id)).toEqual([vnfcs[0]?.id]);
    expect(await heldClaimIds()).toEqual([vnfcs[0]?.metadata.reservationId]);
    for (const vnfc of vnfcs.slice(1)) expect(await lab.domainState(vnfc)).toBe('missing');

    const both = await lab.api.post(`${INSTANCES}/${vnfId}/scale_to_level`, { instantiationLevelId: 'large', scaleInfo: [{ aspectId: 'fw_capacity', scaleLevel: 1 }] });
    expect(both.status).toBe(400);
    expect(both.json.violations).toEqual([expect.objectContaining({ pointer: '' })]);
    expect((await lab.api.post(`${INSTANCES}/${vnfId}/scale_to_level`, {})).status).toBe(400);
    const beyond = await lab.api.post(`${INSTANCES}/${vnfId}/scale_to_level`, { scaleInfo: [{ aspectId: 'fw_capacity', scaleLevel: 4 }] });
    expect(beyond.status).toBe(422);
    expect(beyond.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleInfo/0/scaleLevel' })]);
    const unknownAspect = await lab.api.post(`${INSTANCES}/${vnfId}/scale_to_level`, { scaleInfo: [{ aspectId: 'nope', scaleLevel: 1 }] });
    expect(unknownAspect.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleInfo/0/aspectId' })]);
    const unknownLevel = await lab.api.post(`${INSTANCES}/${vnfId}/scale_to_level`, { instantiationLevelId: 'gigantic' });
    expect(unknownLevel.status).toBe(422);
    expect(unknownLevel.json.violations).toEqual([expect.objectContaining({ pointer: '/instantiationLevelId' })]);
    await terminated(vnfId);
  }, 120_000);
});

describe('heal', () => {
  it('recreates a VNFC that vanished from its host, on the same claim and ports', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody(), 'fw-heal');
    const [vnfc] = await vnfcsOf(vnfId);
    if (!vnfc) throw new Error('no VNFC');
    const claimsBefore = await heldClaimIds();

    // Someone removes the domain behind our back.
    await (await lab.computeDriver()).undefine({ name: vnfc.metadata.name, uuid: vnfc.id });
    expect(await lab.domainState(vnfc)).toBe('missing');

    const unknown = await lab.api.post(`${INSTANCES}/${vnfId}/heal`, { cause: 'gone', vnfcInstanceId: [vnfc.id, 'not-a-vnfc'] });
    expect(unknown.status).toBe(422);
    expect(unknown.json.violations).toEqual([expect.objectContaining({ pointer: '/vnfcInstanceId/1' })]);

    const healId = await lab.task(`${INSTANCES}/${vnfId}/heal`, { cause: 'the domain is gone', vnfcInstanceId: [vnfc.id] });
    expect((await lab.settled(`${OCCS}/${healId}`)).operationState).toBe('COMPLETED');
    const healed = await occurrence(healId);
    expect(healed.operation).toBe('HEAL');
    expect(healed.resourceChanges.affectedVnfcs).toEqual([expect.objectContaining({ id: vnfc.id, changeType: 'MODIFIED' })]);
    expect(await lab.domainState(vnfc)).toBe('running');
    expect(await heldClaimIds()).toEqual(claimsBefore);
    const after = await vnfcsOf(vnfId);
    expect(portIdsOf(after)).toEqual(portIdsOf([vnfc]));
    for (const portId of portIdsOf(after)) {
      await eventuallyActive(portId);
      expect(await ovsIface(portId)).not.toBe('');
    }

    // v1's request (no VNFC named) heals every VNFC, a stopped one included.
    await (await lab.computeDriver()).destroy({ name: vnfc.metadata.name, uuid: vnfc.id });
    expect(await lab.domainState(vnfc)).toBe('shutoff');
    expect((await run(`${INSTANCES}/${vnfId}/heal`, { cause: 'powered off' })).operationState).toBe('COMPLETED');
    expect(await lab.domainState(vnfc)).toBe('running');
    await terminated(vnfId);
  }, 90_000);
});

describe('refusals', () => {
  it('answers 400, 404 and 409 with ProblemDetails and starts nothing', async () => {
    const vnfId = await lab.createVnf(VNFD_IDS.vfw);
    const before = ((await lab.api.get(OCCS)).json as unknown as Json[]).length;
    const tasks: Array<[string, Json]> = [
      ['operate', { changeStateTo: 'STOPPED' }],
      ['scale', { type: 'SCALE_OUT', aspectId: 'fw_capacity' }],
      ['scale_to_level', { instantiationLevelId: 'large' }],
      ['heal', { cause: 'test' }],
    ];
    for (const [task, body] of tasks) {
      const notInstantiated = await lab.api.post(`${INSTANCES}/${vnfId}/${task}`, body);
      expect([task, notInstantiated.status]).toEqual([task, 409]);
      const unknown = await lab.api.post(`${INSTANCES}/00000000-0000-4000-8000-000000000000/${task}`, body);
      expect([task, unknown.status]).toEqual([task, 404]);
    }
    const malformed: Array<[string, Json, string]> = [
      ['operate', { changeStateTo: 'PAUSED' }, '/changeStateTo'],
      ['operate', { changeStateTo: 'STOPPED', gracefulStopTimeout: -1 }, '/gracefulStopTimeout'],
      ['scale', { type: 'SCALE_SIDEWAYS', aspectId: 'fw_capacity' }, '/type'],
      ['scale', { type: 'SCALE_OUT', aspectId: 'fw_capacity', numberOfSteps: 0 }, '/numberOfSteps'],
      ['scale_to_level', { scaleInfo: [{ aspectId: 'fw_capacity' }] }, '/scaleInfo/0/scaleLevel'],
      ['heal', { vnfcInstanceId: 'one' }, '/vnfcInstanceId'],
    ];
    for (const [task, body, pointer] of malformed) {
      const answer = await lab.api.post(`${INSTANCES}/${vnfId}/${task}`, body);
      expect([task, answer.status]).toEqual([task, 400]);
      expect((answer.json.violations as Json[]).map((violation) => violation.pointer)).toContain(pointer);
    }
    const noAspect = await lab.api.post(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT' });
    expect(noAspect.status).toBe(400);
    expect(((await lab.api.get(OCCS)).json as unknown as Json[]).length).toBe(before);
    expect((await lab.api.delete(`${INSTANCES}/${vnfId}`)).status).toBe(204);
  });

  it('answers 409 with the occurrence in progress to a second operation on the instance', async () => {
    const vnfId = await instantiated(VNFD_IDS.vfw, vfwBody(), 'fw-busy');
    const first = await lab.task(`${INSTANCES}/${vnfId}/scale`, { type: 'SCALE_OUT', aspectId: 'fw_capacity' });
    const second = await lab.api.post(`${INSTANCES}/${vnfId}/operate`, { changeStateTo: 'STOPPED' });
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.json)).toMatch(first);
    expect((await lab.settled(`${OCCS}/${first}`)).operationState).toBe('COMPLETED');
    await terminated(vnfId);
    expect(await heldClaimIds()).toEqual([]);
  }, 90_000);
});
