/**
 * NS update UPDATE_VNFFG (SOL 005 UpdateVnffgData) on the web-chain NS (libvirt test driver, harness Open
 * vSwitch): the NFP of the forwarding graph reclassified (TCP 80 and 443 -> TCP 8080), checked in
 * `ovs-ofctl dump-flows`; an update the switch refuses (a table with room for no more flows) goes FAILED_TEMP and
 * its rollback gives the switch back the previous classification; an NFP deleted takes its chain's flows with
 * it; requests the chains cannot carry out are refused with ProblemDetails pointers and change nothing.
 */
import { INTEGRATION_BRIDGE, LifecycleLab } from '../support/lifecycle-lab.js';
import { eventually, type Json } from './support/api.js';
import { NS, NS_OCCS, WEB_CHAIN_NSD_ID } from './support/ns-checks.js';

let lab: LifecycleLab;

beforeAll(async () => {
  lab = await LifecycleLab.start({ nsd: true });
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

function sap(sapdId: string, address: string): Json {
  return { sapdId, sapName: sapdId, sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [address] }] } }] };
}

/** The TCP destination ports the switch's flows classify on (`tp_dst=` of our flows), sorted. */
async function classifiedPorts(): Promise<string[]> {
  const flows = (await lab.switchDump()).flows.filter((flow) => /cookie=0x4e46/.test(flow));
  return [...new Set(flows.flatMap((flow) => [...flow.matchAll(/tp_dst=([0-9x/a-f]+)/g)].map((match) => match[1] ?? '')))].sort();
}

async function classifiedAs(expected: string[], what: string): Promise<void> {
  await eventually(async () => (JSON.stringify(await classifiedPorts()) === JSON.stringify(expected) ? true : undefined), 20_000, what);
}

describe('NS update UPDATE_VNFFG', () => {
  it('reclassifies an NFP on the switch, rolls a refused reclassification back to the previous rules, and deletes an NFP', async () => {
    const nsId = String((await lab.api.post(NS, { nsdId: WEB_CHAIN_NSD_ID, nsName: 'reclassified', nsDescription: '' })).json.id);
    const instantiated = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', sapData: [sap('ext', '198.18.1.1'), sap('web', '198.18.1.5')] })}`, 120_000);
    expect(instantiated.operationState).toBe('COMPLETED');
    const vnffgInfoId = `${nsId}/web_vnffg`;
    const ns = (await lab.api.get(`${NS}/${nsId}`)).json as Json & { vnffgInfo: Array<{ id: string; nfpInfo: Array<{ id: string; portChainId: string }> }> };
    const nfpInfoId = ns.vnffgInfo[0]?.nfpInfo[0]?.id ?? '';
    await classifiedAs(['443', '80'], 'the NSD classification (TCP 80 and 443)');
    const update = (nfpRule: Json) => ({ updateType: 'UPDATE_VNFFG', updateVnffg: [{ vnffgInfoId, nfp: [{ nfpInfoId, nfpRule }] }] });

    // The switch refuses: table 0 has room for the flows it holds and no more. The 11 ports 8080-8090 take three
    // masked flows where 80 and 443 took two.
    const tableZero = (await lab.ovs.ofctl('-O', 'OpenFlow13', 'dump-flows', INTEGRATION_BRIDGE, 'table=0')).split('\n').filter((line) => line.includes('cookie=')).length;
    await lab.ovs.vsctl('--', '--id=@limit', 'create', 'Flow_Table', `flow_limit=${tableZero}`, 'overflow_policy=refuse', '--', 'set', 'Bridge', INTEGRATION_BRIDGE, 'flow_tables:0=@limit');
    const refusedId = await lab.task(`${NS}/${nsId}/update`, update({ etherType: 'IPV4', protocol: 'TCP', destinationPortRange: { lowerPort: 8080, upperPort: 8090 } }));
    const refused = await lab.settled(`${NS_OCCS}/${refusedId}`, 60_000);
    expect(refused.operationState).toBe('FAILED_TEMP');
    expect((refused.error as Json).status).toBe(502);
    expect(String((refused.error as Json).detail)).toMatch(/classifiers of chain .* could not be programmed: the switch of host .* answered/);
    expect((await lab.api.post(`${NS_OCCS}/${refusedId}/rollback`, {})).status).toBe(202);
    expect((await lab.settled(`${NS_OCCS}/${refusedId}`, 60_000)).operationState).toBe('ROLLED_BACK');
    await classifiedAs(['443', '80'], 'the previous classification back after the rollback');
    const classifiers = (await lab.api.get('/v2.0/ts/classifiers')).json.classifiers as Json[];
    expect(classifiers.map((classifier) => classifier.port_range).sort()).toEqual(['443', '80']);
    await lab.ovs.vsctl('clear', 'Bridge', INTEGRATION_BRIDGE, 'flow_tables');

    // Reclassified: TCP 8080 instead of 80 and 443, on the same chain.
    const reclassified = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, update({ etherType: 'IPV4', protocol: 'TCP', destinationPortRange: { lowerPort: 8080, upperPort: 8080 }, sourceIpAddressPrefix: '0.0.0.0/0' }))}`, 60_000);
    expect(reclassified.operationState).toBe('COMPLETED');
    await classifiedAs(['8080'], 'TCP 8080 instead of 80 and 443');
    const chain = (await lab.api.get(`/v2.0/ts/port_chains/${nfpInfoId}`)).json.port_chain as Json & { classifiers: string[] };
    expect(chain.classifiers).toHaveLength(1);
    expect(((await lab.api.get(`/v2.0/ts/classifiers/${chain.classifiers[0] ?? ''}`)).json.classifier as Json).port_range).toBe('8080');
    expect(((await lab.api.get(`${NS}/${nsId}`)).json.vnffgInfo as Json[]).length).toBe(1);

    // Requests the chains cannot carry out: 422 with a pointer each, nothing changed.
    const bad = await lab.api.post(`${NS}/${nsId}/update`, {
      updateType: 'UPDATE_VNFFG',
      updateVnffg: [
        { vnffgInfoId: `${nsId}/no_such_graph`, nfpInfoId: ['x'] },
        {
          vnffgInfoId,
          nfpInfoId: ['no-such-nfp'],
          nfp: [
            { nfpName: 'new', nfpRule: { protocol: 'TCP' } },
            { nfpInfoId, cpGroup: [], nfpRule: { protocol: 'ICMP', destinationPortRange: { lowerPort: 9, upperPort: 1 }, vlanTag: ['100'], destinationIpAddressPrefix: '10.0.0.0/33' } },
          ],
        },
      ],
    });
    expect(bad.status).toBe(422);
    expect((bad.json.violations as Json[]).map((violation) => violation.pointer).sort()).toEqual(
      [
        '/updateVnffg/0/vnffgInfoId',
        '/updateVnffg/1/nfpInfoId/0',
        '/updateVnffg/1/nfp/0/nfpInfoId',
        '/updateVnffg/1/nfp/1/cpGroup',
        '/updateVnffg/1/nfp/1/nfpRule/vlanTag',
        '/updateVnffg/1/nfp/1/nfpRule/destinationPortRange',
        '/updateVnffg/1/nfp/1/nfpRule/protocol',
        '/updateVnffg/1/nfp/1/nfpRule/destinationIpAddressPrefix',
      ].sort(),
    );
    expect((await lab.api.post(`${NS}/${nsId}/update`, { updateType: 'UPDATE_VNFFG', updateVnffg: [{ vnffgInfoId, nfp: [{ nfpInfoId, nfpRule: { protocol: 'SCTP' } }] }] })).status).toBe(400);
    await classifiedAs(['8080'], 'the classification unchanged by refused requests');

    // The NFP deleted: its chain and all its flows leave the switch (it was the graph's only NFP: the graph goes too).
    const deletion = await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/update`, { updateType: 'UPDATE_VNFFG', updateVnffg: [{ vnffgInfoId, nfpInfoId: [nfpInfoId] }] })}`, 60_000);
    expect(deletion.operationState).toBe('COMPLETED');
    expect((await lab.api.get(`/v2.0/ts/port_chains/${nfpInfoId}`)).status).toBe(404);
    expect(((await lab.api.get(`${NS}/${nsId}`)).json.vnffgInfo as Json[]).length).toBe(0);
    expect(((await lab.api.get('/v2.0/ts/classifiers')).json.classifiers as Json[]).length).toBe(0);
    await classifiedAs([], 'the chain flows to go');
    await eventually(async () => ((await lab.switchDump()).groups.length === 0 ? true : undefined), 20_000, 'the chain groups to go');

    expect((await lab.settled(`${NS_OCCS}/${await lab.task(`${NS}/${nsId}/terminate`, {})}`, 120_000)).operationState).toBe('COMPLETED');
    expect(await lab.vim.scheduler.claimsOf({ hostId: lab.hostId })).toEqual([]);
    expect((await lab.api.delete(`${NS}/${nsId}`)).status).toBe(204);
  }, 300_000);
});
