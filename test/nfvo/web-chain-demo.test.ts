/**
 * The seed's example as the product ships it: the web-chain NS (EXT -> FW -> LB -> web) instantiated through
 * the SOL 005 API on the lab compute driver (each VNFC a network namespace plugged into a harness Open
 * vSwitch), its forwarding graph compiled to a chain. HTTP from the EXT namespace to the web namespace
 * crosses the FW, then the primary LB (each VNFC's data interface bounces what it receives back out, as a
 * one-armed inline function does), proven by the functions' own counters, captures and the chain's per-hop
 * counters; SSH and ICMP go direct. Scaled out by its aspect `firewalls`, the NS gets a second FW and HTTP flows
 * are spread over both FWs. Terminate leaves no namespace, port, flow or group behind.
 */
import type { Json } from './support/api.js';
import { eventually } from './support/api.js';
import { ChainLab, type LabEndpoint } from '../support/chain-lab.js';
import { run } from '../support/command.js';
import { LifecycleLab, INTEGRATION_BRIDGE } from '../support/lifecycle-lab.js';
import { NetworkNamespace } from '../support/netns.js';
import { OvsInstance } from '../support/ovs.js';
import { NAMESPACE_PREFIX } from '../support/sweep.js';
import { capture, ping, tcpFlows, tcpServer, type TcpServer } from '../support/traffic.js';

const NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
const NS = '/nslcm/v1/ns_instances';
const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';
const VNFC_PREFIX = `${NAMESPACE_PREFIX}vnfc-`;
const EXT_IP = '198.18.40.1';
const WEB_IP = '198.18.40.5';

interface Vnfc {
  profile: string;
  name: string;
  namespace: NetworkNamespace;
  dataInterface: string;
}

/** Packets the one-armed bounce on the VNFC's data interface has sent back. */
async function bounced(vnfc: Vnfc): Promise<number> {
  const { stdout } = await vnfc.namespace.exec('tc', ['-s', '-j', 'filter', 'show', 'dev', vnfc.dataInterface, 'ingress']);
  const filters = JSON.parse(stdout) as Array<{ options?: { actions?: Array<{ kind: string; stats?: { packets?: number } }> } }>;
  return filters.flatMap((filter) => filter.options?.actions ?? []).filter((action) => action.kind === 'mirred').reduce((sum, action) => sum + (action.stats?.packets ?? 0), 0);
}

async function vnfcNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(VNFC_PREFIX));
}

describe('web-chain NS on the lab compute driver', () => {
  let ovs: OvsInstance;
  let lab: LifecycleLab;
  let endpoints: ChainLab;

  beforeAll(async () => {
    ovs = await OvsInstance.start('wc');
    lab = await LifecycleLab.start({ nsd: true, ovs, libvirtUri: `lab:///?prefix=${VNFC_PREFIX}&netns=${ovs.namespace.name}` });
    endpoints = new ChainLab(ovs, INTEGRATION_BRIDGE);
  }, 180_000);

  afterAll(async () => {
    await endpoints?.close();
    await lab?.stop();
    for (const name of await vnfcNamespaces()) await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await ovs?.stop();
  });

  it('steers HTTP from EXT through FW then LB to web, sends the rest direct, spreads it over two FWs once scaled out, and terminate leaves nothing', async () => {
    const nsId = String((await lab.api.post(NS, { nsdId: NSD_ID, nsName: 'web-chain', nsDescription: 'the seed example' })).json.id);
    const sap = (sapdId: string, address: string) => ({ sapdId, sapName: sapdId, sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [address] }] } }] });
    const occurrenceId = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', sapData: [sap('ext', EXT_IP), sap('web', WEB_IP)] });
    expect((await lab.settled(`${NS_OCCS}/${occurrenceId}`, 120_000)).operationState).toBe('COMPLETED');
    const ns = (await lab.api.get(`${NS}/${nsId}`)).json as Json & {
      sapInfo: Array<{ id: string; sapdId: string; sapProtocolInfo: Array<{ ipOverEthernet: { macAddress: string } }> }>;
      vnfInstance: Array<{ vnfProfileId: string; instantiatedVnfInfo: { vnfcResourceInfo: Array<{ metadata: { name: string }; vnfcCpInfo: Array<{ cpdId: string; vnfExtCpId?: string }> }> } }>;
      vnffgInfo: Array<{ nfpInfo: Array<{ portChainId: string }> }>;
      virtualLinkInfo: Array<{ id: string; nsVirtualLinkDescId: string }>;
    };

    // The VNFCs are namespaces the product made; their data CP (the first port, order 0) bounces what it gets.
    const vnfcs: Vnfc[] = ns.vnfInstance.flatMap((vnf) =>
      vnf.instantiatedVnfInfo.vnfcResourceInfo.map((vnfc) => ({ profile: vnf.vnfProfileId, name: vnfc.metadata.name, namespace: NetworkNamespace.adopt(`${VNFC_PREFIX}${vnfc.metadata.name}`), dataInterface: 'eth0' })),
    );
    expect(vnfcs.map((vnfc) => vnfc.profile).sort()).toEqual(['dpi', 'fw', 'lb', 'lb']);
    expect((await vnfcNamespaces()).sort()).toEqual(vnfcs.map((vnfc) => vnfc.namespace.name).sort());
    for (const vnfc of vnfcs) {
      await vnfc.namespace.exec('tc', ['qdisc', 'add', 'dev', 'eth0', 'ingress']);
      await vnfc.namespace.exec('tc', ['filter', 'add', 'dev', 'eth0', 'ingress', 'protocol', 'ip', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'eth0']);
    }
    const fw = vnfcs.find((vnfc) => vnfc.profile === 'fw') as Vnfc;
    const chainId = ns.vnffgInfo[0]?.nfpInfo[0]?.portChainId ?? '';
    const chain = (await lab.api.get(`/v2.0/ts/port_chains/${chainId}`)).json.port_chain as { ports: Record<string, string[]> };
    const lbPorts = (Object.keys(chain.ports)[1] ?? '').split('|');
    const portOwner = async (portId: string) => String(((await lab.api.get(`/v2.0/ports/${portId}`)).json.port as Json).device_id);
    const lbVnfcIds = await Promise.all(lbPorts.map(portOwner));
    const lbName = (index: number) => ns.vnfInstance.find((vnf) => vnf.vnfProfileId === 'lb')?.instantiatedVnfInfo.vnfcResourceInfo.find((vnfc) => (vnfc as unknown as { id: string }).id === lbVnfcIds[index])?.metadata.name;
    const lbPrimary = vnfcs.find((vnfc) => vnfc.name === lbName(0)) as Vnfc;
    const lbBackup = vnfcs.find((vnfc) => vnfc.name === lbName(1)) as Vnfc;
    expect(lbPrimary).toBeDefined();
    expect(lbBackup).toBeDefined();

    // EXT and web: namespaces on the SAP ports the NS created (the address the request gave, the VIM's MAC).
    const sapPort = (sapdId: string) => ns.sapInfo.find((item) => item.sapdId === sapdId) as (typeof ns.sapInfo)[number];
    const ext: LabEndpoint = await endpoints.endpoint('ext', { mac: sapPort('ext').sapProtocolInfo[0]?.ipOverEthernet.macAddress ?? '', ip: `${EXT_IP}/24`, ifaceId: sapPort('ext').id });
    const web: LabEndpoint = await endpoints.endpoint('web', { mac: sapPort('web').sapProtocolInfo[0]?.ipOverEthernet.macAddress ?? '', ip: `${WEB_IP}/24`, ifaceId: sapPort('web').id });
    const servers: TcpServer[] = [await tcpServer(web.namespace, WEB_IP, 80), await tcpServer(web.namespace, WEB_IP, 22)];
    try {
      await eventually(async () => ((await ping(ext.namespace, WEB_IP, 1)) === 1 ? true : undefined), 20_000, 'EXT to reach web');

      // SSH and ICMP are not classified: they go straight to web.
      const direct = { fw: await bounced(fw), lb: await bounced(lbPrimary) };
      expect((await tcpFlows(ext.namespace, { to: WEB_IP, port: 22, count: 5 })).failed).toBe(0);
      expect(await ping(ext.namespace, WEB_IP, 3)).toBe(3);
      expect(await bounced(fw)).toBe(direct.fw);
      expect(await bounced(lbPrimary)).toBe(direct.lb);

      // HTTP crosses FW, then the primary LB; the backup sees nothing.
      const before = { fw: await bounced(fw), primary: await bounced(lbPrimary), backup: await bounced(lbBackup) };
      const fwCapture = await capture(fw.namespace, 'eth0', 'tcp port 80');
      const lbCapture = await capture(lbPrimary.namespace, 'eth0', 'tcp port 80');
      const http = await tcpFlows(ext.namespace, { to: WEB_IP, port: 80, count: 20 });
      expect(http.failed).toBe(0);
      const fwSeen = await fwCapture.stop();
      const lbSeen = await lbCapture.stop();
      const through = { fw: (await bounced(fw)) - before.fw, primary: (await bounced(lbPrimary)) - before.primary, backup: (await bounced(lbBackup)) - before.backup };
      expect(through.fw).toBeGreaterThanOrEqual(20 * 3);
      expect(through.primary).toBe(through.fw);
      expect(through.backup).toBe(0);
      // Both saw the 20 connections' SYNs, each in and back out of the one arm, unchanged (EXT's own addresses).
      const syns = (packets: typeof fwSeen) => packets.filter((packet) => packet.tcpFlags === 'S' && packet.srcIp === EXT_IP && packet.dstIp === WEB_IP);
      expect(syns(fwSeen)).toHaveLength(40);
      const sourcePorts = (packets: typeof fwSeen) => [...new Set(syns(packets).map((packet) => packet.srcPort))].sort();
      expect(sourcePorts(fwSeen)).toHaveLength(20);
      expect(sourcePorts(lbSeen)).toEqual(sourcePorts(fwSeen));
      // Order: with the FW holding packets back (its bounce removed), HTTP fails and nothing reaches the LB.
      await fw.namespace.exec('tc', ['qdisc', 'del', 'dev', 'eth0', 'ingress']);
      const lbBeforeHold = await bounced(lbPrimary);
      expect((await tcpFlows(ext.namespace, { to: WEB_IP, port: 80, count: 3, timeoutMs: 1000 })).succeeded).toBe(0);
      expect(await bounced(lbPrimary)).toBe(lbBeforeHold);
      await fw.namespace.exec('tc', ['qdisc', 'add', 'dev', 'eth0', 'ingress']);
      await fw.namespace.exec('tc', ['filter', 'add', 'dev', 'eth0', 'ingress', 'protocol', 'ip', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'eth0']);
      // The chain's own per-hop counters agree with the functions (OVS publishes counters about once a second).
      await eventually(async () => {
        const view = (await lab.api.get(`/v2.0/ts/port_chains/${chainId}/dataplane`)).json as { dataplane: { switches: Array<{ hops: Array<{ hop: number; packets_out: number }> }> } };
        const hops = view.dataplane.switches[0]?.hops ?? [];
        return hops.length === 2 && hops.every((hop) => hop.packets_out >= through.fw) ? true : undefined;
      }, 10_000, 'the per-hop counters to show the HTTP packets');

      // The NS scaled out by its aspect `firewalls`: a second FW, and the fw position (lb) spreads the flows over both.
      const scaled = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/scale`, { scaleType: 'SCALE_NS', scaleNsData: { scaleNsByStepsData: { scalingDirection: 'SCALE_OUT', aspectId: 'firewalls' } } })}`, 120_000);
      expect(scaled.operationState).toBe('COMPLETED');
      const scaledNs = (await lab.api.get(`${NS}/${nsId}`)).json as typeof ns;
      const fwNames = scaledNs.vnfInstance.filter((vnf) => vnf.vnfProfileId === 'fw').flatMap((vnf) => vnf.instantiatedVnfInfo.vnfcResourceInfo.map((vnfc) => vnfc.metadata.name));
      expect(fwNames).toHaveLength(2);
      const secondFw: Vnfc = { profile: 'fw', name: fwNames.find((name) => name !== fw.name) ?? '', namespace: NetworkNamespace.adopt(`${VNFC_PREFIX}${fwNames.find((name) => name !== fw.name) ?? ''}`), dataInterface: 'eth0' };
      await secondFw.namespace.exec('tc', ['qdisc', 'add', 'dev', 'eth0', 'ingress']);
      await secondFw.namespace.exec('tc', ['filter', 'add', 'dev', 'eth0', 'ingress', 'protocol', 'ip', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'eth0']);
      await eventually(async () => ((await lab.switchDump()).groups.some((group) => group.includes('type=select')) ? true : undefined), 20_000, 'the SELECT group over both FWs');
      const spreadBefore = { first: await bounced(fw), second: await bounced(secondFw), primary: await bounced(lbPrimary) };
      const spreadFlows = await tcpFlows(ext.namespace, { to: WEB_IP, port: 80, count: 20 });
      expect(spreadFlows.failed).toBe(0);
      const spread = { first: (await bounced(fw)) - spreadBefore.first, second: (await bounced(secondFw)) - spreadBefore.second, primary: (await bounced(lbPrimary)) - spreadBefore.primary };
      // Each FW takes some of the 20 connections (all on one would happen once in 2^19), and all of them reach the LB.
      expect(spread.first).toBeGreaterThan(0);
      expect(spread.second).toBeGreaterThan(0);
      expect(spread.first + spread.second).toBeGreaterThanOrEqual(20 * 3);
      expect(spread.primary).toBe(spread.first + spread.second);
    } finally {
      for (const server of servers) await server.close();
    }

    const terminationId = await lab.task(`${NS}/${nsId}/terminate`, {});
    expect((await lab.settled(`${NS_OCCS}/${terminationId}`, 120_000)).operationState).toBe('COMPLETED');
    expect(await vnfcNamespaces()).toEqual([]);
    const leftovers = await eventually(async () => {
      const dump = await lab.switchDump();
      return dump.groups.length === 0 && !dump.flows.some((flow) => /tp_dst=80\b/.test(flow)) ? dump : undefined;
    }, 20_000, 'the chain to leave the switch');
    // Only the two endpoints' ports are left on the bridge (the VNFCs' veths are gone).
    expect(leftovers.ports.filter((port) => port.startsWith('lv'))).toEqual([]);
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  }, 300_000);
});
