import { waitFor } from '../../support/command.js';
import { capture, tcpFlows } from '../../support/traffic.js';
import { startWebChainLab, type WebChainLab } from './web-chain.js';

/**
 * MPLS correlation: a port pair with `service_function_parameters: {correlation: mpls}` is an MPLS-aware
 * function. Packets reach it labelled `(chain id << 8) | hop` (networking-sfc's layout) and are known by that
 * label when they come back, the label removed before the next hop. The FW here forwards frames unchanged,
 * labels included, as an MPLS-aware function returns them; the LB is an ordinary (unlabelled) function.
 */
describe('MPLS correlation on Open vSwitch', () => {
  let chain: WebChainLab;

  beforeAll(async () => {
    chain = await startWebChainLab('mpls', '198.18.32', [80]);
  }, 60000);

  afterAll(async () => {
    await chain?.close();
  });

  it('labels packets for the MPLS-aware FW with its chain and hop, and unlabelled ones for the LB', async () => {
    const { sfc, port, vm } = chain;
    const post = async (resource: string, body: object): Promise<{ id: string; chain_id?: number }> =>
      Object.values((await sfc.call('POST', `/v2.0/sfc/${resource}`, body)) as Record<string, { id: string; chain_id?: number }>)[0] as { id: string; chain_id?: number };
    const classifier = await post('flow_classifiers', {
      flow_classifier: { protocol: 'tcp', destination_port_range_min: 80, destination_port_range_max: 80, destination_ip_prefix: `${vm.ip}/32`, logical_source_port: port.ext.id },
    });
    const fw = await post('port_pairs', { port_pair: { ingress: port.fwIn.id, egress: port.fwOut.id, service_function_parameters: { correlation: 'mpls' } } });
    const lb = await post('port_pairs', { port_pair: { ingress: port.lbIn.id, egress: port.lbOut.id } });
    const groups = [(await post('port_pair_groups', { port_pair_group: { port_pairs: [fw.id] } })).id, (await post('port_pair_groups', { port_pair_group: { port_pairs: [lb.id] } })).id];
    const created = await post('port_chains', { port_chain: { port_pair_groups: groups, flow_classifiers: [classifier.id], chain_parameters: { correlation: 'mpls' } } });
    const chainId = created.chain_id as number;
    await waitFor('the chain to be programmed', async () => ((await chain.ovs.installedFlows('br-int')).some((flow) => flow.includes('priority=300')) ? true : undefined));

    const atFw = await capture(chain.fw.namespace, 'in0');
    const atLb = await capture(chain.lb.namespace, 'in0');
    const flows = await tcpFlows(chain.ext.namespace, { to: vm.ip, port: 80, count: 10 });
    const [fwPackets, lbPackets] = [await atFw.stop(), await atLb.stop()];
    expect(flows.failed).toBe(0);
    const label = (chainId << 8) | 0;
    const labelled = fwPackets.filter((packet) => packet.text.includes(`MPLS (label ${label},`));
    expect(labelled.length).toBeGreaterThanOrEqual(30);
    expect(labelled.length).toBe(fwPackets.length);
    // The label is gone before the LB, which sees plain IPv4 TCP to port 80.
    expect(lbPackets.length).toBe(labelled.length);
    expect(lbPackets.every((packet) => !packet.text.includes('MPLS') && packet.dstPort === 80)).toBe(true);
  });
});
