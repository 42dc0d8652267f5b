/**
 * SOL 005 NS scaling by the NSD's aspect (SCALE_NS) of the web-chain NS on libvirt's test driver and a harness
 * Open vSwitch: the aspect `firewalls` adds FW VNFs (domains in libvirt), and the NFP position `fw_position`
 * (forwarding behaviour `lb`) spreads the chain's flows over them, seen in `ovs-ofctl dump-groups` (a SELECT
 * group with one bucket per FW) and in `ovs-appctl ofproto/trace` (different flows reach different FWs).
 * Scaling in takes the added FW away (domain, claim, ports) and the chain back to one FW. A scaling out the
 * host cannot fit fails and rolls back to the NS as it was; a scale-in stopped once its FW is gone rolls back
 * by bringing the FW back; bad requests get 422 with pointers.
 *
 * The host has one NUMA cell whose PF has five VFs: the web chain takes four (FW, two LBs, DPI), so one more
 * FW fits and a second does not.
 */
import type { NfvoModule } from '../../nfvo/index.js';
import type { Operation } from '../../platform/index.js';
import { eventually, type Json } from './support/api.js';
import { INTEGRATION_BRIDGE, LifecycleLab } from '../support/lifecycle-lab.js';

const NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
const NS = '/nslcm/v1/ns_instances';
const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';
const EXT_IP = '198.18.1.1';
const WEB_IP = '198.18.1.5';

type NsView = Json & {
  vnfInstance: Array<{ id: string; vnfProfileId: string; instantiatedVnfInfo: { vnfcResourceInfo: Array<{ id: string; metadata: { name: string } }> } }>;
  vnffgInfo: Array<{ nfpInfo: Array<{ portChainId: string }> }>;
  sapInfo: Array<{ id: string; sapdId: string; sapProtocolInfo: Array<{ ipOverEthernet: { macAddress: string } }> }>;
  nsScaleStatus?: Array<{ nsScalingAspectId: string; nsScaleLevelId: string }>;
};

let lab: LifecycleLab;
let nsId: string;

beforeAll(async () => {
  lab = await LifecycleLab.start({
    nsd: true,
    inventory: { cells: [{ socket: 0, cores: 32, threads: 2, pages: { 1048576: 64 } }], pfs: [{ numaNode: 0, physnet: 'physnet-data', vfs: 5 }] },
  });
  nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: 'web', nsDescription: 'EXT -> FW* -> LB -> web' })).json.id);
  const sap = (sapdId: string, address: string) => ({ sapdId, sapName: sapdId, sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [address] }] } }] });
  const instantiated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', sapData: [sap('ext', EXT_IP), sap('web', WEB_IP)] })}`, 120_000);
  if (instantiated.operationState !== 'COMPLETED') throw new Error(`the NS did not instantiate: ${JSON.stringify(instantiated)}`);
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

const nsView = async (): Promise<NsView> => (await lab.api.get(`${NS}/${nsId}`)).json as NsView;
const firewalls = async (): Promise<string[]> => (await nsView()).vnfInstance.filter((vnf) => vnf.vnfProfileId === 'fw').map((vnf) => vnf.id);

async function ourDomains(): Promise<string[]> {
  const host = await lab.vim.inventory.host(lab.hostId);
  if (!host) throw new Error('host gone');
  return (await (await lab.vim.compute.driverOf(host.value)).list()).filter((domain) => domain.name.startsWith('vnf-')).map((domain) => domain.name);
}

/** The chain's `ports`, as the Traffic Steering API shows them. */
async function chainPorts(): Promise<Record<string, string[]>> {
  const chainId = (await nsView()).vnffgInfo[0]?.nfpInfo[0]?.portChainId ?? '';
  return ((await lab.api.get(`/v2.0/ts/port_chains/${chainId}`)).json.port_chain as { ports: Record<string, string[]> }).ports;
}

/** The VIM ports of the FW VNFs on the service network: what the fw position's instances must be. */
async function firewallDataPorts(): Promise<string[]> {
  const serviceNetwork = ((await lab.api.get(`${NS}/${nsId}`)).json.virtualLinkInfo as Array<{ id: string; nsVirtualLinkDescId: string }>).find((link) => link.nsVirtualLinkDescId === 'service_vl')?.id;
  const ports: string[] = [];
  for (const vnfId of await firewalls()) {
    const vnf = (await lab.vnfm.manager().instances.instances.get(vnfId))?.value;
    for (const vnfc of vnf?.instantiatedVnfInfo?.vnfcs ?? []) ports.push(...vnfc.ports.filter((port) => port.networkId === serviceNetwork).map((port) => port.portId));
  }
  return ports.sort();
}

async function ofportOfVimPort(portId: string): Promise<number> {
  return eventually(async () => {
    const name = (await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${portId}`)).trim();
    const ofport = name === '' ? NaN : Number((await lab.ovs.vsctl('get', 'Interface', name, 'ofport')).trim());
    return ofport > 0 ? ofport : undefined;
  }, 10_000, `an OpenFlow port for VIM port ${portId}`);
}

/** The SELECT groups on the integration bridge, each as its buckets' output ports. */
async function selectGroups(): Promise<number[][]> {
  const groups = await lab.ovs.installedGroups(INTEGRATION_BRIDGE);
  return groups
    .filter((group) => group.includes('type=select'))
    .map((group) =>
      group
        .split('bucket=')
        .slice(1)
        .map((bucket) => Number(/output:(\d+)/.exec(bucket)?.[1]))
        .sort((a, b) => a - b),
    );
}

async function scale(body: Json): Promise<Json> {
  return lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/scale`, body)}`, 120_000);
}

const byStep = (scalingDirection: 'SCALE_OUT' | 'SCALE_IN', numberOfSteps = 1, aspectId = 'firewalls') => ({ scaleType: 'SCALE_NS', scaleNsData: { scaleNsByStepsData: { scalingDirection, aspectId, numberOfSteps } } });

describe('SCALE_NS of the web-chain NS by its aspect firewalls', () => {
  it('refuses an unknown aspect, a level beyond the aspect and an unknown level with pointers, and starts nothing', async () => {
    const occurrencesBefore = ((await lab.api.get(NS_OCCS)).json as unknown as Json[]).length;
    const unknown = await lab.api.post(`${NS}/${nsId}/scale`, byStep('SCALE_OUT', 1, 'routers'));
    expect(unknown.status).toBe(422);
    expect(unknown.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleNsData/scaleNsByStepsData/aspectId', message: expect.stringContaining('it has firewalls') })]);
    const below = await lab.api.post(`${NS}/${nsId}/scale`, byStep('SCALE_IN'));
    expect(below.status).toBe(422);
    expect(below.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleNsData/scaleNsByStepsData/numberOfSteps' })]);
    const beyond = await lab.api.post(`${NS}/${nsId}/scale`, byStep('SCALE_OUT', 3));
    expect(beyond.status).toBe(422);
    expect(beyond.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleNsData/scaleNsByStepsData/numberOfSteps', message: expect.stringContaining('0..2') })]);
    const toLevel = await lab.api.post(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_NS', scaleNsData: { scaleNsToLevelData: { nsScaleInfo: [{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '7' }] } } });
    expect(toLevel.status).toBe(422);
    expect(toLevel.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleNsData/scaleNsToLevelData/nsScaleInfo/0/nsScaleLevelId' })]);
    const neither = await lab.api.post(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_NS', scaleNsData: {} });
    expect(neither.status).toBe(422);
    expect(neither.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleNsData' })]);
    const ghost = await lab.api.post(`${NS}/${nsId}/scale`, { ...byStep('SCALE_OUT'), scaleNsData: { ...byStep('SCALE_OUT').scaleNsData, additionalParamsForVnf: [{ vnfProfileId: 'ghost' }] } });
    expect(ghost.status).toBe(422);
    expect(ghost.json.violations).toEqual([expect.objectContaining({ pointer: '/scaleNsData/additionalParamsForVnf/0/vnfProfileId' })]);
    expect(((await lab.api.get(NS_OCCS)).json as unknown as Json[]).length).toBe(occurrencesBefore);
    expect(await firewalls()).toHaveLength(1);
  });

  it('rolls back a scaling out the host cannot fit to the NS as it was', async () => {
    const before = { firewalls: await firewalls(), ports: await chainPorts(), domains: (await ourDomains()).sort(), claims: (await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).length };
    const vnfsBefore = ((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length;
    // Two more FWs at once: one takes the last VF, the other finds none.
    const failed = await scale(byStep('SCALE_OUT', 2));
    expect(failed.operationState).toBe('FAILED_TEMP');
    const error = (await lab.api.get(`${NS_OCCS}/${String(failed.id)}`)).json.error as Json;
    expect(error.status).toBe(403);
    expect(String(error.detail)).toMatch(/step vnfs failed: VNF fw \(instance [0-9a-f-]+\) did not instantiate: .*No room for VDU/);
    // One of the two FWs got the last VF and runs until the rollback.
    expect(await ourDomains()).toHaveLength(before.domains.length + 1);
    expect((await lab.api.post(`${NS_OCCS}/${String(failed.id)}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${NS_OCCS}/${String(failed.id)}`, 120_000)).operationState).toBe('ROLLED_BACK');

    expect(await firewalls()).toEqual(before.firewalls);
    // Instantiated at the default level: one FW, level 0 of the aspect, as before the scaling.
    expect((await nsView()).nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '0' }]);
    expect(await chainPorts()).toEqual(before.ports);
    expect((await ourDomains()).sort()).toEqual(before.domains);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(before.claims);
    expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(vnfsBefore);
    expect(await selectGroups()).toEqual([]);
  });

  it('scales out by one step: a second FW, and the chain spreads TCP 80 flows over both', async () => {
    const [original] = await firewalls();
    const domainsBefore = (await ourDomains()).length;
    const scaled = await scale(byStep('SCALE_OUT'));
    expect(scaled.operationState).toBe('COMPLETED');
    const ns = await nsView();
    expect(ns.nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '1' }]);
    const fws = await firewalls();
    expect(fws).toHaveLength(2);
    expect(fws[0]).toBe(original);
    const changes = scaled.resourceChanges as { affectedVnfs: Json[]; affectedVnffgs: Json[] };
    expect(changes.affectedVnfs).toEqual([expect.objectContaining({ vnfInstanceId: fws[1], vnfProfileId: 'fw', changeType: 'INSTANTIATE', changeResult: 'COMPLETED' })]);
    expect(changes.affectedVnffgs).toEqual([expect.objectContaining({ changeType: 'MODIFY', changeResult: 'COMPLETED' })]);
    expect(ns.vnfInstance.filter((vnf) => vnf.vnfProfileId === 'fw').map((vnf) => vnf.instantiatedVnfInfo.vnfcResourceInfo.length)).toEqual([1, 1]);
    expect(await ourDomains()).toHaveLength(domainsBefore + 1);

    // The TS chain: the fw position lists both FWs' data ports, load-balanced; the LB position keeps primary|backup.
    const fwPorts = await firewallDataPorts();
    expect(fwPorts).toHaveLength(2);
    const [fwEntry, lbEntry] = Object.entries(await chainPorts());
    expect(fwEntry?.[0].split(',').sort()).toEqual(fwPorts);
    expect(fwEntry?.[1]).toEqual([fwEntry?.[0]]);
    expect(lbEntry?.[0]).toContain('|');

    // In the switch: a SELECT group with one bucket per FW port.
    const fwOfports = (await Promise.all(fwPorts.map(ofportOfVimPort))).sort((a, b) => a - b);
    await eventually(async () => ((await selectGroups()).some((buckets) => JSON.stringify(buckets) === JSON.stringify(fwOfports)) ? true : undefined), 20_000, 'a SELECT group over both FW ports');

    // Traced from the EXT SAP (plugged as its VIM port would be): TCP 80 is classified into the group, and both
    // buckets are reached. Open vSwitch selects by a datapath hash of the 5-tuple: the first pass hashes and
    // recirculates, so the second pass is traced for hash values as different flows get them (0 means "not
    // hashed yet"); an Open vSwitch that selects in one pass is traced with different source ports.
    const ext = ns.sapInfo.find((item) => item.sapdId === 'ext') as NsView['sapInfo'][number];
    const extMac = ext.sapProtocolInfo[0]?.ipOverEthernet.macAddress ?? '';
    await lab.ovs.vsctl('add-port', INTEGRATION_BRIDGE, 'sapext', '--', 'set', 'Interface', 'sapext', 'type=internal', `external_ids:iface-id=${ext.id}`, `external_ids:attached-mac=${extMac}`, 'external_ids:iface-status=active');
    const extOfport = await lab.ovs.ofportOf('sapext');
    const http = (sourcePort: number) => `in_port=${extOfport},tcp,dl_src=${extMac},dl_dst=ff:ff:ff:ff:ff:fe,nw_src=${EXT_IP},nw_dst=${WEB_IP},tp_src=${sourcePort},tp_dst=80`;
    const firewallOf = (trace: string) => [...trace.matchAll(/output:(\d+)/g)].map((match) => Number(match[1])).find((port) => fwOfports.includes(port));
    const firstPass = await eventually(async () => {
      const trace = await lab.ovs.trace(INTEGRATION_BRIDGE, http(40000));
      return /group:\d+/.test(trace) ? trace : undefined;
    }, 20_000, 'TCP 80 from EXT to be classified into the chain');
    const recirculation = /recirc\((0x[0-9a-f]+)\)/.exec(firstPass)?.[1];
    const reached = new Set<number>();
    for (let attempt = 0; attempt < 64 && reached.size < 2; attempt += 1) {
      const trace = recirculation === undefined ? await lab.ovs.trace(INTEGRATION_BRIDGE, http(40000 + attempt)) : await lab.ovs.trace(INTEGRATION_BRIDGE, `recirc_id=${recirculation},dp_hash=${attempt + 1},${http(40000)}`);
      const port = firewallOf(trace);
      expect(port).toBeDefined();
      reached.add(port as number);
    }
    expect([...reached].sort((a, b) => a - b)).toEqual(fwOfports);
    await lab.ovs.vsctl('del-port', INTEGRATION_BRIDGE, 'sapext');
  }, 180_000);

  it('rolls back a scale-in stopped after the FW went: the FW comes back under its id and the chain spreads over it again', async () => {
    const [, added] = await firewalls();
    const nfvo = lab.product.application.modules.find((module) => module.name === 'nfvo') as NfvoModule;
    const nsEngine = nfvo.nsLifecycle().engine;
    const vnfEngine = lab.vnfm.manager().lifecycle.engine;
    // Once the VNFM starts terminating the FW, the NS operation is cancelled: it stops after its step `vnfs`.
    let cancelled: Promise<unknown> | undefined;
    const cancelOnTermination = (operation: Operation) => {
      if (cancelled || operation.kind !== 'TERMINATE' || operation.resourceId !== added) return;
      const scaling = nsEngine.list({ resourceId: nsId, state: 'PROCESSING' }).then((running) => Promise.all(running.map((item) => nsEngine.cancel(item.id, 'GRACEFUL'))));
      cancelled = scaling;
    };
    vnfEngine.on('changed', cancelOnTermination);
    let stopped: Json;
    try {
      stopped = await scale(byStep('SCALE_IN'));
    } finally {
      vnfEngine.off('changed', cancelOnTermination);
    }
    await cancelled;
    expect(stopped.operationState).toBe('FAILED_TEMP');
    const steps = (await nsEngine.get(String(stopped.id)))?.steps.map((step) => [step.name, step.status]);
    expect(steps).toEqual([['plan', 'done'], ['narrow-chains', 'done'], ['vnfs', 'done'], ['vnffgs', 'pending'], ['finalize', 'pending']]);
    expect((await lab.api.get(`/vnflcm/v1/vnf_instances/${String(added)}`)).status).toBe(404);

    expect((await lab.api.post(`${NS_OCCS}/${String(stopped.id)}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${NS_OCCS}/${String(stopped.id)}`, 120_000)).operationState).toBe('ROLLED_BACK');
    const back = (await lab.api.get(`/vnflcm/v1/vnf_instances/${String(added)}`)).json;
    expect(back.instantiationState).toBe('INSTANTIATED');
    expect(await firewalls()).toHaveLength(2);
    expect((await nsView()).nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '1' }]);
    const fwPorts = await firewallDataPorts();
    expect(fwPorts).toHaveLength(2);
    const [fwEntry] = Object.entries(await chainPorts());
    expect(fwEntry?.[0].split(',').sort()).toEqual(fwPorts);
    const fwOfports = (await Promise.all(fwPorts.map(ofportOfVimPort))).sort((a, b) => a - b);
    await eventually(async () => ((await selectGroups()).some((buckets) => JSON.stringify(buckets) === JSON.stringify(fwOfports)) ? true : undefined), 20_000, 'the SELECT group over both FW ports again');
  }, 180_000);

  it('scales in by one step: the added FW goes (domain, claim, ports) and the chain is back to one FW', async () => {
    const [original, added] = await firewalls();
    const addedVnf = (await lab.vnfm.manager().instances.instances.get(added ?? ''))?.value;
    const addedPorts = (addedVnf?.instantiatedVnfInfo?.vnfcs ?? []).flatMap((vnfc) => vnfc.ports.map((port) => port.portId));
    expect(addedPorts.length).toBeGreaterThan(0);
    const domainsBefore = (await ourDomains()).length;
    const claimsBefore = (await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).length;

    const scaled = await scale(byStep('SCALE_IN'));
    expect(scaled.operationState).toBe('COMPLETED');
    expect((scaled.resourceChanges as { affectedVnfs: Json[] }).affectedVnfs).toEqual([expect.objectContaining({ vnfInstanceId: added, vnfProfileId: 'fw', changeType: 'TERMINATE', changeResult: 'COMPLETED' })]);
    expect(await firewalls()).toEqual([original]);
    expect((await nsView()).nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '0' }]);
    expect((await lab.api.get(`/vnflcm/v1/vnf_instances/${String(added)}`)).status).toBe(404);
    expect(await ourDomains()).toHaveLength(domainsBefore - 1);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(claimsBefore - 1);
    const ports = ((await lab.api.get('/v2.0/ports')).json.ports as Array<{ id: string }>).map((port) => port.id);
    for (const portId of addedPorts) expect(ports).not.toContain(portId);
    for (const portId of addedPorts) expect((await lab.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', `external_ids:iface-id=${portId}`)).trim()).toBe('');

    const [fwEntry] = Object.entries(await chainPorts());
    expect(fwEntry?.[0]).toBe((await firewallDataPorts())[0]);
    await eventually(async () => ((await selectGroups()).length === 0 ? true : undefined), 20_000, 'the SELECT group to go');
    expect((await lab.switchDump()).groups.some((group) => group.includes('type=ff'))).toBe(true);
  }, 180_000);

  it('scales to a level, and terminate removes the VNFs the scaling added too', async () => {
    const scaled = await scale({ scaleType: 'SCALE_NS', scaleNsData: { scaleNsToLevelData: { nsScaleInfo: [{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '1' }] } } });
    expect(scaled.operationState).toBe('COMPLETED');
    expect(await firewalls()).toHaveLength(2);
    const terminated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/terminate`, {})}`, 120_000);
    expect(terminated.operationState).toBe('COMPLETED');
    // What the terminate removed, the FW the scaling added included.
    const removedVnfs = (terminated.resourceChanges as { affectedVnfs: Json[] }).affectedVnfs;
    expect(removedVnfs.map((vnf) => vnf.vnfProfileId).sort()).toEqual(['dpi', 'fw', 'fw', 'lb']);
    expect(removedVnfs.every((vnf) => vnf.changeType === 'TERMINATE' && vnf.changeResult === 'COMPLETED')).toBe(true);
    expect(await ourDomains()).toEqual([]);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(0);
    expect(((await lab.api.get('/v2.0/ts/port_chains')).json.port_chains as Json[]).length).toBe(0);
    await eventually(async () => ((await lab.switchDump()).groups.length === 0 ? true : undefined), 20_000, 'the groups to go');
    expect((await nsView()).nsScaleStatus).toBeUndefined();
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  }, 180_000);
});

describe('NS instantiation levels', () => {
  const create = async (name: string) => String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: name, nsDescription: '' })).json.id);

  it('refuses an instantiation level the NSD lacks with a pointer, and starts nothing', async () => {
    nsId = await create('ghost-level');
    const occurrencesBefore = ((await lab.api.get(NS_OCCS)).json as unknown as Json[]).length;
    const refused = await lab.api.post(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', nsInstantiationLevelId: 'ten_firewalls' });
    expect(refused.status).toBe(422);
    expect(refused.json.violations).toEqual([expect.objectContaining({ pointer: '/nsInstantiationLevelId', message: expect.stringContaining('it has one_firewall, two_firewalls') })]);
    expect(((await lab.api.get(NS_OCCS)).json as unknown as Json[]).length).toBe(occurrencesBefore);
    expect((await nsView()).nsState).toBe('NOT_INSTANTIATED');
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  });

  it('instantiates at two_firewalls: two FW VNFs the chain spreads over, at level 1 of the aspect; scaled to one_firewall, then terminated leaving nothing', async () => {
    nsId = await create('two-firewalls');
    const instantiated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', nsInstantiationLevelId: 'two_firewalls' })}`, 120_000);
    expect(instantiated.operationState).toBe('COMPLETED');
    const ns = await nsView();
    expect(ns.vnfInstance.map((vnf) => vnf.vnfProfileId).sort()).toEqual(['dpi', 'fw', 'fw', 'lb']);
    expect(ns.nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '1' }]);
    expect((instantiated.resourceChanges as { affectedVnfs: Json[] }).affectedVnfs.filter((vnf) => vnf.vnfProfileId === 'fw')).toHaveLength(2);
    expect(await ourDomains()).toHaveLength(5);
    const fwPorts = await firewallDataPorts();
    expect(fwPorts).toHaveLength(2);
    expect(Object.keys(await chainPorts())[0]?.split(',').sort()).toEqual(fwPorts);
    const fwOfports = (await Promise.all(fwPorts.map(ofportOfVimPort))).sort((a, b) => a - b);
    await eventually(async () => ((await selectGroups()).some((buckets) => JSON.stringify(buckets) === JSON.stringify(fwOfports)) ? true : undefined), 20_000, 'a SELECT group over both FW ports');

    const scaled = await scale({ scaleType: 'SCALE_NS', scaleNsData: { scaleNsToLevelData: { nsInstantiationLevel: 'one_firewall' } } });
    expect(scaled.operationState).toBe('COMPLETED');
    expect(await firewalls()).toHaveLength(1);
    expect((await nsView()).nsScaleStatus).toEqual([{ nsScalingAspectId: 'firewalls', nsScaleLevelId: '0' }]);
    expect(await ourDomains()).toHaveLength(4);
    await eventually(async () => ((await selectGroups()).length === 0 ? true : undefined), 20_000, 'the SELECT group to go');

    const terminated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/terminate`, {})}`, 120_000);
    expect(terminated.operationState).toBe('COMPLETED');
    expect(await ourDomains()).toEqual([]);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(0);
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  }, 240_000);
});

