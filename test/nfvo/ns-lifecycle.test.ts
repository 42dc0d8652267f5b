/**
 * SOL 005 NS lifecycle of the web-chain NSD on libvirt's test driver and a harness Open vSwitch: the VNFs
 * instantiated in parallel through the VNFM (each with its grant), the virtual links as VIM networks, the SAPs
 * as ports, the forwarding graph as a chain programmed into OVS; terminate removes every domain, claim,
 * port, flow and group, checked against libvirt, the store and `ovs-ofctl`/`ovs-vsctl` dumps.
 */
import type { NfvoModule } from '../../nfvo/index.js';
import { eventually, type Json } from './support/api.js';
import { LifecycleLab } from '../support/lifecycle-lab.js';

const NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
const NS = '/nslcm/v1/ns_instances';
const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';
/** Our cookies start with 0x4E46 ("NF"); the chain cookies carry role 2 or more in the next nibble (see sfc/flows). */
const OUR_COOKIE = /cookie=0x4e46/;

let lab: LifecycleLab;

beforeAll(async () => {
  // Room for two more DPI engines (one scaling step; 9 cores of one cell each) besides the web chain.
  lab = await LifecycleLab.start({
    nsd: true,
    inventory: {
      cells: [0, 1, 2].map((socket) => ({ socket, cores: 16, threads: 2, pages: { 1048576: 32 } })),
      pfs: [0, 1, 2].map((numaNode) => ({ numaNode, physnet: 'physnet-data', vfs: 16 })),
    },
  });
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

function sap(sapdId: string, address: string): Json {
  return { sapdId, sapName: sapdId, sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [address] }] } }] };
}

async function ourDomains(): Promise<string[]> {
  const host = await lab.vim.inventory.host(lab.hostId);
  if (!host) throw new Error('host gone');
  return (await (await lab.vim.compute.driverOf(host.value)).list()).filter((domain) => domain.name.startsWith('vnf-')).map((domain) => domain.name);
}

describe('web-chain NS on libvirt test-driver hosts', () => {
  it('instantiates the VNFs in parallel with a chain in OVS, and terminate leaves nothing behind', async () => {
    const baseline = await lab.switchDump();
    const networksBefore = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
    const created = await lab.api.post(NS, { nsdId: NSD_ID, nsName: 'web', nsDescription: 'EXT -> FW -> LB -> web' });
    expect(created.status).toBe(201);
    const nsId = String(created.json.id);
    const nsd = (await lab.api.get(`/nsd/v1/ns_descriptors/${String(created.json.nsdInfoId)}`)).json;
    expect(nsd.nsdUsageState).toBe('IN_USE');

    const occurrenceId = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', sapData: [sap('ext', '198.18.1.1'), sap('web', '198.18.1.5')] });
    const occurrence = await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000);
    expect(occurrence).toMatchObject({ operationState: 'COMPLETED', lcmOperationType: 'INSTANTIATE' });
    const nfvo = lab.product.application.modules.find((module) => module.name === 'nfvo') as NfvoModule;
    expect(nfvo.nsLifecycle().maxParallelVnfs).toBe(3);

    const ns = (await lab.api.get(`${NS}/${nsId}`)).json as Json & { vnfInstance: Array<Json & { instantiatedVnfInfo: { vnfcResourceInfo: Json[] } }>; sapInfo: Json[]; vnffgInfo: Array<{ nfpInfo: Array<{ portChainId: string }> }>; virtualLinkInfo: Json[] };
    expect(ns.nsState).toBe('INSTANTIATED');
    expect(ns.vnfInstance.map((vnf) => [vnf.vnfProfileId, vnf.instantiationState, vnf.instantiatedVnfInfo.vnfcResourceInfo.length]).sort()).toEqual([
      ['dpi', 'INSTANTIATED', 1],
      ['fw', 'INSTANTIATED', 1],
      ['lb', 'INSTANTIATED', 2],
    ]);
    expect(ns.virtualLinkInfo).toHaveLength(2);
    expect(ns.sapInfo).toHaveLength(2);
    const portChainId = ns.vnffgInfo[0]?.nfpInfo[0]?.portChainId ?? '';
    const chain = (await lab.api.get(`/v2.0/ts/port_chains/${portChainId}`)).json.port_chain as Json & { ports: Record<string, string[]>; classifiers: string[] };
    expect(Object.keys(chain.ports)).toHaveLength(2);
    expect(Object.keys(chain.ports)[1]).toContain('|');
    expect(chain.classifiers).toHaveLength(2);

    // In libvirt: 4 domains (fw, 2 lb, dpi); on OVS: their 8 ports; in OVS flows: classification of TCP 80 and 443,
    // and the fast-failover group of the LB position.
    expect(await ourDomains()).toHaveLength(4);
    const programmed = await eventually(async () => {
      const dump = await lab.switchDump();
      const classified = dump.flows.filter((flow) => OUR_COOKIE.test(flow) && /tp_dst=(80|443)\b/.test(flow));
      return classified.length >= 2 && dump.groups.some((group) => group.includes('type=ff')) ? dump : undefined;
    }, 20_000, 'the chain flows and the fast-failover group');
    expect(programmed.ports.filter((port) => port.startsWith('tap')).length).toBe(8);

    // Update: the forwarding graph removed (its flows leave the switch) and added again; the DPI stopped and started.
    const graphId = `${nsId}/web_vnffg`;
    const removal = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, { updateType: 'REMOVE_VNFFG', removeVnffg: [graphId] })}`);
    expect(removal.operationState).toBe('COMPLETED');
    expect(((await lab.api.get(`${NS}/${nsId}`)).json.vnffgInfo as Json[]).length).toBe(0);
    await eventually(async () => (!(await lab.switchDump()).flows.some((flow) => /tp_dst=(80|443)\b/.test(flow)) ? true : undefined), 20_000, 'the chain flows to go');
    const addition = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, { updateType: 'ADD_VNFFG', addVnffg: [{ vnffgdId: 'web_vnffg' }] })}`);
    expect(addition.operationState).toBe('COMPLETED');
    await eventually(async () => ((await lab.switchDump()).flows.filter((flow) => /tp_dst=(80|443)\b/.test(flow)).length >= 2 ? true : undefined), 20_000, 'the chain flows to come back');
    const dpi = ns.vnfInstance.find((vnf) => vnf.vnfProfileId === 'dpi') as Json & { instantiatedVnfInfo: { vnfcResourceInfo: Array<{ id: string; metadata: { name: string } }> } };
    const dpiVnfc = dpi.instantiatedVnfInfo.vnfcResourceInfo[0] as { id: string; metadata: { name: string } };
    const dpiState = async () => {
      const host = await lab.vim.inventory.host(lab.hostId);
      return (await (await lab.vim.compute.driverOf(host!.value)).state({ name: dpiVnfc.metadata.name, uuid: dpiVnfc.id }));
    };
    for (const [changeStateTo, state] of [['STOPPED', 'shutoff'], ['STARTED', 'running']] as const) {
      const operated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, { updateType: 'OPERATE_VNF', operateVnfData: [{ vnfInstanceId: dpi.id, changeStateTo, stopType: 'FORCEFUL' }] })}`);
      expect(operated.operationState).toBe('COMPLETED');
      expect(await dpiState()).toBe(state);
    }
    // Scale: the DPI (not in the chain) out by one step (two engines) and back.
    const dpiVnfcs = async () => ((await lab.api.get(`/vnflcm/v1/vnf_instances/${String(dpi.id)}`)).json.instantiatedVnfInfo as { vnfcResourceInfo: Json[] }).vnfcResourceInfo.length;
    for (const [scaleVnfType, expected] of [['SCALE_OUT', 3], ['SCALE_IN', 1]] as const) {
      const scaled = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_VNF', scaleVnfData: [{ vnfInstanceId: dpi.id, scaleVnfType, scaleByStepData: { aspectId: 'inspection_capacity' } }] })}`);
      expect(scaled.operationState).toBe('COMPLETED');
      expect(await dpiVnfcs()).toBe(expected);
    }
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(4);
    const fwId = String(ns.vnfInstance.find((vnf) => vnf.vnfProfileId === 'fw')?.id);
    expect((await lab.api.post(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_NS', scaleNsData: {} })).status).toBe(422);

    // Heal: the DPI's domain removed behind our back comes back running.
    const dpiHost = await lab.vim.inventory.host(lab.hostId);
    await (await lab.vim.compute.driverOf(dpiHost!.value)).undefine({ name: dpiVnfc.metadata.name, uuid: dpiVnfc.id });
    expect(await dpiState()).toBe('missing');
    const healed = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/heal`, { healVnfData: [{ vnfInstanceId: dpi.id, cause: 'domain lost' }] })}`);
    expect(healed.operationState).toBe('COMPLETED');
    expect(await dpiState()).toBe('running');

    // A heal the host fails (it refuses to start the DPI's domain again): FAILED_TEMP; the NS rollback rolls the
    // VNF's heal back, and the DPI runs as before.
    const healDriver = await lab.computeDriver();
    const start = healDriver.start.bind(healDriver);
    healDriver.start = async () => {
      throw new Error('the host refuses to start domains');
    };
    let failedHeal: Json;
    try {
      failedHeal = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/heal`, { healVnfData: [{ vnfInstanceId: dpi.id }] })}`);
    } finally {
      healDriver.start = start;
    }
    expect(failedHeal.operationState).toBe('FAILED_TEMP');
    expect(String((failedHeal.error as Json).detail)).toContain('the host refuses to start domains');
    expect((await lab.api.post(`${NS_OCCS}/${String(failedHeal.id)}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${NS_OCCS}/${String(failedHeal.id)}`)).operationState).toBe('ROLLED_BACK');
    const dpiHeals = (await lab.api.get(`/vnflcm/v1/vnf_lcm_op_occs?filter=${encodeURIComponent(`(eq,vnfInstanceId,${String(dpi.id)});(eq,operation,HEAL)`)}`)).json as unknown as Json[];
    expect(dpiHeals.map((occurrence) => occurrence.operationState).sort()).toEqual(['COMPLETED', 'ROLLED_BACK']);
    expect(await dpiState()).toBe('running');

    // REMOVE_VNF: the DPI terminated and deleted; ADD_VNF: a DPI instantiated on its own joins the NS (and goes with it).
    const removal2 = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, { updateType: 'REMOVE_VNF', removeVnfInstanceId: [dpi.id] })}`);
    expect(removal2.operationState).toBe('COMPLETED');
    expect(((await lab.api.get(`${NS}/${nsId}`)).json.vnfInstance as Json[]).map((vnf) => vnf.vnfProfileId).sort()).toEqual(['fw', 'lb']);
    expect((await lab.api.get(`/vnflcm/v1/vnf_instances/${String(dpi.id)}`)).status).toBe(404);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(3);
    const standalone = await lab.createVnf('d0497454-f447-4d60-9203-2d5331166b24', 'dpi-standalone');
    expect((await lab.settled(`/vnflcm/v1/vnf_lcm_op_occs/${await lab.task(`/vnflcm/v1/vnf_instances/${standalone}/instantiate`, { flavourId: 'default' })}`)).operationState).toBe('COMPLETED');
    const joined = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, { updateType: 'ADD_VNF', addVnfInstance: [{ vnfInstanceId: standalone, vnfProfileId: 'dpi' }] })}`);
    expect(joined.operationState).toBe('COMPLETED');
    expect(((await lab.api.get(`${NS}/${nsId}`)).json.vnfInstance as Json[]).map((vnf) => vnf.id)).toContain(standalone);
    const removeChained = await lab.api.post(`${NS}/${nsId}/update`, { updateType: 'REMOVE_VNF', removeVnfInstanceId: [fwId] });
    expect(removeChained.status).toBe(422);
    expect(removeChained.json.violations).toEqual([expect.objectContaining({ pointer: '/removeVnfInstanceId/0' })]);

    const cancelSettled = await lab.api.post(`${NS_OCCS}/${occurrenceId}/cancel`, { cancelMode: 'FORCEFUL' });
    expect(cancelSettled.status).toBe(409);
    expect((await lab.api.post(`${NS_OCCS}/${occurrenceId}/cancel`, { cancelMode: 'SOON' })).status).toBe(400);
    expect((await lab.api.post(`${NS_OCCS}/no-such-occurrence/cancel`, { cancelMode: 'GRACEFUL' })).status).toBe(404);
    const badUpdate = await lab.api.post(`${NS}/${nsId}/update`, { updateType: 'ADD_VNFFG', addVnffg: [{ vnffgdId: 'web_vnffg' }, { vnffgdId: 'nope' }] });
    expect(badUpdate.status).toBe(422);
    expect((badUpdate.json.violations as Json[]).map((violation) => violation.pointer)).toEqual(['/addVnffg/0/vnffgdId', '/addVnffg/1/vnffgdId']);
    expect((await lab.api.post(`${NS}/${nsId}/update`, { updateType: 'CHANGE_NSDF' })).status).toBe(422);

    // Scale of a chain member: the FW (at the load-balanced fw position) out by a step of its own aspect gets a
    // second VNFC, and the chain spreads over both (a SELECT group); scaling the LB (fast failover) is refused.
    const fwScaled = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_VNF', scaleVnfData: [{ vnfInstanceId: fwId, scaleVnfType: 'SCALE_OUT', scaleByStepData: { aspectId: 'fw_capacity' } }] })}`);
    expect(fwScaled.operationState).toBe('COMPLETED');
    expect(((await lab.api.get(`/vnflcm/v1/vnf_instances/${fwId}`)).json.instantiatedVnfInfo as { vnfcResourceInfo: Json[] }).vnfcResourceInfo).toHaveLength(2);
    const currentChainId = ((await lab.api.get(`${NS}/${nsId}`)).json.vnffgInfo as typeof ns.vnffgInfo)[0]?.nfpInfo[0]?.portChainId ?? '';
    const scaledChain = (await lab.api.get(`/v2.0/ts/port_chains/${currentChainId}`)).json.port_chain as { ports: Record<string, string[]> };
    expect((Object.keys(scaledChain.ports)[0] ?? '').split(',')).toHaveLength(2);
    await eventually(async () => ((await lab.switchDump()).groups.some((group) => group.includes('type=select') && group.split('bucket=').length === 3) ? true : undefined), 20_000, 'a SELECT group over the two FW VNFCs');
    const lbId = String(ns.vnfInstance.find((vnf) => vnf.vnfProfileId === 'lb')?.id);
    const lbScale = await lab.api.post(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_VNF', scaleVnfData: [{ vnfInstanceId: lbId, scaleVnfType: 'SCALE_OUT', scaleByStepData: { aspectId: 'lb_capacity' } }] });
    expect(lbScale.status).toBe(422);
    expect(lbScale.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleVnfData/0/vnfInstanceId' })]);

    // Scale-in of the FW: the chain stops steering to the VNFC that goes before the VNFM stops it (seen on the
    // switch at the moment its domain is stopped), then that VNFC's domain, claim and ports go.
    type VnfcView = { id: string; metadata: { name: string }; vnfcCpInfo: Array<{ vnfLinkPortId: string }> };
    const fwVnfcs = async () => ((await lab.api.get(`/vnflcm/v1/vnf_instances/${fwId}`)).json.instantiatedVnfInfo as { vnfcResourceInfo: VnfcView[] }).vnfcResourceInfo;
    const [, addedFwVnfc] = await fwVnfcs();
    const claimsBeforeScaleIn = (await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).length;
    const driver = await lab.computeDriver();
    const stop = driver.stop.bind(driver);
    let atStop: { fwEntry: string; selectGroups: number } | undefined;
    driver.stop = async (ref, options) => {
      if (atStop === undefined) {
        const chain = (await lab.api.get(`/v2.0/ts/port_chains/${currentChainId}`)).json.port_chain as { ports: Record<string, string[]> };
        atStop = { fwEntry: Object.keys(chain.ports)[0] ?? '', selectGroups: (await lab.switchDump()).groups.filter((group) => group.includes('type=select')).length };
      }
      return stop(ref, options);
    };
    let fwScaledIn: Json;
    try {
      fwScaledIn = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_VNF', scaleVnfData: [{ vnfInstanceId: fwId, scaleVnfType: 'SCALE_IN', scaleByStepData: { aspectId: 'fw_capacity' } }] })}`);
    } finally {
      driver.stop = stop;
    }
    expect(fwScaledIn.operationState).toBe('COMPLETED');
    const [remainingFwVnfc, ...moreFwVnfcs] = await fwVnfcs();
    expect(moreFwVnfcs).toEqual([]);
    expect(remainingFwVnfc?.id).not.toBe(addedFwVnfc?.id);
    expect(atStop?.selectGroups).toBe(0);
    expect(remainingFwVnfc?.vnfcCpInfo.map((cp) => cp.vnfLinkPortId)).toContain(atStop?.fwEntry);
    expect(await ourDomains()).not.toContain(addedFwVnfc?.metadata.name);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(claimsBeforeScaleIn - 1);
    const portsAfterScaleIn = ((await lab.api.get('/v2.0/ports')).json.ports as Array<{ id: string }>).map((port) => port.id);
    for (const cp of addedFwVnfc?.vnfcCpInfo ?? []) {
      expect(portsAfterScaleIn).not.toContain(cp.vnfLinkPortId);
      expect((await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${cp.vnfLinkPortId}`)).trim()).toBe('');
    }

    const terminationId = await lab.task(`${NS}/${nsId}/terminate`, {});
    const termination = await lab.settled(`${NS_OCCS}/${terminationId}`, 120_000);
    expect(termination.operationState).toBe('COMPLETED');
    expect((await lab.api.get(`${NS}/${nsId}`)).json.nsState).toBe('NOT_INSTANTIATED');

    expect(await ourDomains()).toEqual([]);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    expect(((await lab.api.get('/v2.0/ports')).json.ports as Json[]).length).toBe(0);
    expect(((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length).toBe(networksBefore);
    expect(((await lab.api.get('/v2.0/ts/port_chains')).json.port_chains as Json[]).length).toBe(0);
    expect(((await lab.api.get('/v2.0/ts/classifiers')).json.classifiers as Json[]).length).toBe(0);
    expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(0);
    const after = await eventually(async () => {
      const dump = await lab.switchDump();
      return dump.groups.length === 0 && dump.flows.length === baseline.flows.length ? dump : undefined;
    }, 20_000, 'the chain flows and groups to go');
    expect(after.ports.filter((port) => port.startsWith('tap'))).toEqual([]);
    expect(after.flows.filter((flow) => /tp_dst=(80|443)\b/.test(flow))).toEqual([]);

    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
    expect((await lab.api.get(`/nsd/v1/ns_descriptors/${String(created.json.nsdInfoId)}`)).json.nsdUsageState).toBe('NOT_IN_USE');
    for (const vnfPkg of ((await lab.api.get('/vnfpkgm/v1/vnf_packages')).json as unknown as Json[])) expect(vnfPkg.usageState).toBe('NOT_IN_USE');
  }, 240_000);

  it('refuses bad NS requests with ProblemDetails and starts nothing', async () => {
    const unknown = await lab.api.post(NS, { nsdId: 'no-such-nsd', nsName: 'x', nsDescription: '' });
    expect(unknown.status).toBe(422);
    expect(unknown.json.violations).toEqual([expect.objectContaining({ pointer: '/nsdId' })]);
    expect((await lab.api.post(NS, { nsName: 'x' })).status).toBe(400);
    const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: 'bad', nsDescription: '' })).json.id);
    const wrong = await lab.api.post(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'gold', sapData: [sap('nowhere', '198.18.1.9')], additionalParamsForVnf: [{ vnfProfileId: 'ghost' }] });
    expect(wrong.status).toBe(422);
    expect((wrong.json.violations as Json[]).map((violation) => violation.pointer).sort()).toEqual(['/additionalParamsForVnf/0/vnfProfileId', '/nsFlavourId', '/sapData/0/sapdId']);
    expect((await lab.api.post(`${NS}/${nsId}/terminate`, {})).status).toBe(409);
    expect(((await lab.api.get(NS_OCCS)).json as unknown as Json[]).filter((occ) => occ.nsInstanceId === nsId)).toEqual([]);
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  });
});
