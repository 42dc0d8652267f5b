import fs from 'node:fs';
import { run } from '../../support/command.js';
import { waitFor } from '../../support/command.js';
import { TEST_TOKEN } from '../../support/application.js';
import { ping, tcpFlows } from '../../support/traffic.js';
import { startWebChainLab, type WebChainLab } from './web-chain.js';

/**
 * The seed's FW -> LB chain expressed through networking-sfc, first as JSON over the API, then with the
 * real `openstack sfc` commands, each proven with packets crossing the functions in order.
 */
const CLI = ['/usr/bin/openstack', '/usr/local/bin/openstack'].find((file) => fs.existsSync(file));

describe('networking-sfc chain EXT -> FW -> LB -> VM on Open vSwitch', () => {
  let chain: WebChainLab;

  beforeAll(async () => {
    chain = await startWebChainLab('nsfc', '198.18.31', [80, 8080]);
  }, 60000);

  afterAll(async () => {
    await chain?.close();
  });

  /** Packets that crossed FW and LB (forward direction) while `traffic` ran. */
  async function crossings(traffic: () => Promise<void>): Promise<{ fw: number; lb: number }> {
    const before = { fw: (await chain.fw.counters()).redirected.forward, lb: (await chain.lb.counters()).redirected.forward };
    await traffic();
    return { fw: (await chain.fw.counters()).redirected.forward - before.fw, lb: (await chain.lb.counters()).redirected.forward - before.lb };
  }

  const http = (port: number) => async () => {
    const flows = await tcpFlows(chain.ext.namespace, { to: chain.vm.ip, port, count: 10 });
    expect(flows.failed).toBe(0);
  };

  it('steers TCP 80 through the port chain made of port pairs, groups and a classifier on the logical source port', async () => {
    const { sfc, port, vm } = chain;
    await waitFor('delivery before the chain', async () => ((await ping(chain.ext.namespace, vm.ip, 1)) === 1 ? true : undefined), 10000);
    const post = async (resource: string, body: object): Promise<string> => (Object.values((await sfc.call('POST', `/v2.0/sfc/${resource}`, body)) as Record<string, { id: string }>)[0] as { id: string }).id;
    const classifier = await post('flow_classifiers', {
      flow_classifier: { name: 'web', ethertype: 'IPv4', protocol: 'tcp', destination_port_range_min: 80, destination_port_range_max: 80, destination_ip_prefix: `${vm.ip}/32`, logical_source_port: port.ext.id },
    });
    const fw = await post('port_pairs', { port_pair: { name: 'fw', ingress: port.fwIn.id, egress: port.fwOut.id } });
    const lb = await post('port_pairs', { port_pair: { name: 'lb', ingress: port.lbIn.id, egress: port.lbOut.id } });
    const fwGroup = await post('port_pair_groups', { port_pair_group: { name: 'fws', port_pairs: [fw] } });
    const lbGroup = await post('port_pair_groups', { port_pair_group: { name: 'lbs', port_pairs: [lb] } });
    const chainId = await post('port_chains', { port_chain: { name: 'web', port_pair_groups: [fwGroup, lbGroup], flow_classifiers: [classifier] } });
    await waitFor('the chain to be programmed', async () => ((await chain.ovs.installedFlows('br-int')).some((flow) => flow.includes('priority=300')) ? true : undefined));

    const crossed = await crossings(http(80));
    expect(crossed.fw).toBeGreaterThanOrEqual(30);
    expect(crossed.lb).toBe(crossed.fw);
    // Port 8080 is not in the classifier.
    expect(await crossings(http(8080))).toEqual({ fw: 0, lb: 0 });

    await sfc.call('DELETE', `/v2.0/sfc/port_chains/${chainId}`);
    for (const [resource, id] of [['port_pair_groups', fwGroup], ['port_pair_groups', lbGroup], ['port_pairs', fw], ['port_pairs', lb], ['flow_classifiers', classifier]] as const) {
      await sfc.call('DELETE', `/v2.0/sfc/${resource}/${id}`);
    }
    await waitFor('the chain flows to go', async () => ((await chain.ovs.installedFlows('br-int')).some((flow) => flow.includes('priority=300')) ? undefined : true));
    expect(await crossings(http(80))).toEqual({ fw: 0, lb: 0 });
  });

  it('builds the same chain with the openstack sfc CLI, unmodified, for TCP 8080', async () => {
    if (CLI === undefined) {
      console.warn('skipped: the openstack client is not installed (python3-openstackclient, python3-networking-sfc)');
      return;
    }
    const { port, vm } = chain;
    const openstack = async (...args: string[]): Promise<void> => {
      await run(CLI, ['--os-auth-type', 'admin_token', '--os-token', TEST_TOKEN, '--os-endpoint', chain.sfc.product.url, ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
        timeoutMs: 60000,
      });
    };
    await openstack('sfc', 'flow', 'classifier', 'create', '--protocol', 'tcp', '--destination-port', '8080:8080', '--destination-ip-prefix', `${vm.ip}/32`, '--logical-source-port', port.ext.id, 'cli-web');
    await openstack('sfc', 'port', 'pair', 'create', '--ingress', port.fwIn.id, '--egress', port.fwOut.id, 'cli-fw');
    await openstack('sfc', 'port', 'pair', 'create', '--ingress', port.lbIn.id, '--egress', port.lbOut.id, 'cli-lb');
    await openstack('sfc', 'port', 'pair', 'group', 'create', '--port-pair', 'cli-fw', 'cli-fws');
    await openstack('sfc', 'port', 'pair', 'group', 'create', '--port-pair', 'cli-lb', 'cli-lbs');
    await openstack('sfc', 'port', 'chain', 'create', '--port-pair-group', 'cli-fws', '--port-pair-group', 'cli-lbs', '--flow-classifier', 'cli-web', 'cli-chain');
    await waitFor('the chain to be programmed', async () => ((await chain.ovs.installedFlows('br-int')).some((flow) => flow.includes('priority=300')) ? true : undefined));

    const crossed = await crossings(http(8080));
    expect(crossed.fw).toBeGreaterThanOrEqual(30);
    expect(crossed.lb).toBe(crossed.fw);
    expect(await crossings(http(80))).toEqual({ fw: 0, lb: 0 });

    await openstack('sfc', 'port', 'chain', 'delete', 'cli-chain');
    await waitFor('the chain flows to go', async () => ((await chain.ovs.installedFlows('br-int')).some((flow) => flow.includes('priority=300')) ? undefined : true));
    expect(await crossings(http(8080))).toEqual({ fw: 0, lb: 0 });
  }, 180000);
});
