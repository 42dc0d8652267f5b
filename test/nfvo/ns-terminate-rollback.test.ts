/**
 * Rollback of an NS termination that failed late, on the web-chain NS (libvirt test driver, harness Open
 * vSwitch): a port someone else put on the NS's management network makes the termination fail in its
 * `virtual-links` step, after the chain, the VNFs, the SAPs and the service network were removed. Rollback
 * brings everything back: the networks and SAP ports under their ids, each VNF (same instance id) instantiated
 * again through the VNFM with the request it was first instantiated with, and the chain (same port chain id)
 * over the VNFs' new ports, checked against libvirt (running domains), OVS (tap ports, chain flows, the
 * fast-failover group) and the APIs. Once the foreign port is gone, a second termination leaves nothing.
 */
import { LifecycleLab } from '../support/lifecycle-lab.js';
import { eventually, type Json } from './support/api.js';
import { NS, NS_OCCS, terminateLeavingNothing, vnfcDomains, WEB_CHAIN_NSD_ID, webChainFlows } from './support/ns-checks.js';

type NsView = Json & {
  nsState: string;
  vnfInstance: Array<Json & { id: string; vnfProfileId: string; instantiationState: string }>;
  sapInfo: Array<Json & { id: string; sapProtocolInfo: Array<{ ipOverEthernet: { macAddress: string } }> }>;
  virtualLinkInfo: Array<Json & { id: string; nsVirtualLinkDescId: string }>;
  vnffgInfo: Array<{ nfpInfo: Array<{ portChainId: string }> }>;
};

function sap(sapdId: string, address: string): Json {
  return { sapdId, sapName: sapdId, sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [address] }] } }] };
}

describe('rollback of an NS termination that failed after removing VNFs, SAPs and a network', () => {
  it('brings the NS back whole (domains, ports, chain flows), and a second termination leaves nothing', async () => {
    const lab = await LifecycleLab.start({ nsd: true });
    try {
      const networksBefore = ((await lab.api.get('/v2.0/networks')).json.networks as Json[]).length;
      const nsId = String((await lab.api.post(NS, { nsdId: WEB_CHAIN_NSD_ID, nsName: 'comeback', nsDescription: '' })).json.id);
      const instantiation = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', sapData: [sap('ext', '198.18.1.1'), sap('web', '198.18.1.5')] })}`, 120_000);
      expect(instantiation.operationState).toBe('COMPLETED');
      const before = (await lab.api.get(`${NS}/${nsId}`)).json as NsView;
      const portChainId = before.vnffgInfo[0]?.nfpInfo[0]?.portChainId ?? '';
      const chainBefore = (await lab.api.get(`/v2.0/ts/port_chains/${portChainId}`)).json.port_chain as Json & { ports: Record<string, string[]> };
      expect(await vnfcDomains(lab)).toHaveLength(4);
      await eventually(async () => ((await webChainFlows(lab)).length >= 2 ? true : undefined), 20_000, 'the chain flows');

      // Someone else's port on the management network: the NS cannot delete that network.
      const mgmt = before.virtualLinkInfo.find((link) => link.nsVirtualLinkDescId === 'mgmt_vl');
      const service = before.virtualLinkInfo.find((link) => link.nsVirtualLinkDescId === 'service_vl');
      const foreign = await lab.api.post('/v2.0/ports', { port: { network_id: mgmt?.id, name: 'operator-probe' } });
      expect(foreign.status).toBe(201);

      const terminationId = await lab.task(`${NS}/${nsId}/terminate`, {});
      const failed = await lab.settled(`${NS_OCCS}/${terminationId}`, 120_000);
      expect(failed.operationState).toBe('FAILED_TEMP');
      expect((failed.error as Json).detail).toMatch(/step virtual-links failed: .*ports still in use on the network/);
      // Everything up to that point is gone: the VNFs, their domains, the SAPs, the service network, the chain flows.
      expect(((await lab.api.get('/vnflcm/v1/vnf_instances')).json as unknown as Json[]).length).toBe(0);
      expect(await vnfcDomains(lab)).toEqual([]);
      expect((await lab.api.get(`/v2.0/networks/${String(service?.id)}`)).status).toBe(404);
      expect((await lab.api.get(`/v2.0/ports/${before.sapInfo[0]?.id ?? ''}`)).status).toBe(404);
      await eventually(async () => ((await webChainFlows(lab)).length === 0 ? true : undefined), 20_000, 'the chain flows to go');

      expect((await lab.api.post(`${NS_OCCS}/${terminationId}/rollback`, {})).status).toBe(202);
      expect((await lab.settled(`${NS_OCCS}/${terminationId}`, 180_000)).operationState).toBe('ROLLED_BACK');

      // The NS as it was: the same VNF instances, networks, SAP ports (ids and MACs) and port chain.
      const after = (await lab.api.get(`${NS}/${nsId}`)).json as NsView;
      expect(after.nsState).toBe('INSTANTIATED');
      expect(after.vnfInstance.map((vnf) => [vnf.vnfProfileId, vnf.id, vnf.instantiationState]).sort()).toEqual(
        before.vnfInstance.map((vnf) => [vnf.vnfProfileId, vnf.id, 'INSTANTIATED']).sort(),
      );
      expect((await lab.api.get(`/v2.0/networks/${String(service?.id)}`)).status).toBe(200);
      for (const sapInfo of before.sapInfo) {
        const port = await lab.api.get(`/v2.0/ports/${sapInfo.id}`);
        expect(port.status).toBe(200);
        expect((port.json.port as Json).mac_address).toBe(sapInfo.sapProtocolInfo[0]?.ipOverEthernet.macAddress);
      }
      expect(after.vnffgInfo[0]?.nfpInfo[0]?.portChainId).toBe(portChainId);

      // In libvirt: the four VNFC domains running again. On OVS: their eight tap ports, the chain's classification
      // of TCP 80 and 443 and its fast-failover group, over the VNFs' new ports.
      const domains = await vnfcDomains(lab);
      expect(domains).toHaveLength(4);
      expect(domains.map((domain) => domain.state)).toEqual(['running', 'running', 'running', 'running']);
      const chainAfter = (await lab.api.get(`/v2.0/ts/port_chains/${portChainId}`)).json.port_chain as Json & { ports: Record<string, string[]> };
      expect(Object.keys(chainAfter.ports)).toHaveLength(2);
      expect(Object.keys(chainAfter.ports)).not.toEqual(Object.keys(chainBefore.ports));
      const programmed = await eventually(async () => {
        const dump = await lab.switchDump();
        const classified = dump.flows.filter((flow) => /tp_dst=(80|443)\b/.test(flow));
        return classified.length >= 2 && dump.groups.some((group) => group.includes('type=ff')) ? dump : undefined;
      }, 20_000, 'the chain flows and the fast-failover group to come back');
      expect(programmed.ports.filter((port) => port.startsWith('tap'))).toHaveLength(8);
      expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toHaveLength(4);

      // Without the foreign port, terminating again leaves nothing.
      expect((await lab.api.delete(`/v2.0/ports/${String((foreign.json.port as Json).id)}`)).status).toBe(204);
      await terminateLeavingNothing(lab, nsId, networksBefore);
    } finally {
      await lab.stop();
    }
  }, 300_000);
});
