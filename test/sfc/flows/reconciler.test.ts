import { randomUUID } from 'node:crypto';
import type { ChainIntent, SwitchConnection } from '../../../sfc/index.js';
import { OpenFlowController } from '../../../sfc/index.js';
import { compileSwitch, hasDrift, OUR_COOKIE, SwitchReconciler, type PortFacts, type SwitchState } from '../../../sfc/flows/index.js';
import { NetworkNamespace } from '../../support/netns.js';
import { connectBridge, startController } from '../../support/openflow.js';
import { OvsInstance } from '../../support/ovs.js';
import { ADDRESSES, webChainIntent } from './web-chain-intent.js';

const BRIDGE = 'br-int';
const HOST = 'host-1';
const NETWORK = randomUUID();
const TAGS = new Map([[NETWORK, 0x1234n]]);

type Role = 'ext' | 'vm' | 'fwIn' | 'fwOut' | 'lbIn' | 'lbOut' | 'fw2In' | 'fw2Out';
const ROLES: readonly Role[] = ['ext', 'vm', 'fwIn', 'fwOut', 'lbIn', 'lbOut', 'fw2In', 'fw2Out'];

function chain(overrides: Partial<ChainIntent> = {}): ChainIntent {
  return webChainIntent(
    [
      { id: 'fw', loadBalanceFields: [], instances: [{ id: 'fw', ingressPort: 'fwIn', egressPort: 'fwOut', weight: 1, backup: { ingressPort: 'fw2In', egressPort: 'fw2Out' } }] },
      { id: 'lb', loadBalanceFields: [], instances: [{ id: 'lb', ingressPort: 'lbIn', egressPort: 'lbOut', weight: 1, backup: undefined }] },
    ],
    overrides,
  );
}

describe('compiled chains programmed by the reconciler into a real Open vSwitch', () => {
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let target: string;
  let connection: SwitchConnection;
  const namespaces: NetworkNamespace[] = [];
  const ports = new Map<string, PortFacts>();
  const ofports = {} as Record<Role, number>;

  beforeAll(async () => {
    ovs = await OvsInstance.start('rec');
    await ovs.addBridge(BRIDGE, { failMode: 'secure', protocols: 'OpenFlow13' });
    ({ controller, target } = await startController(ovs));
    connection = await connectBridge(ovs, BRIDGE, controller, target);
    for (const role of ROLES) {
      const namespace = await NetworkNamespace.create(role.toLowerCase());
      namespaces.push(namespace);
      const attached = await ovs.attach(namespace, BRIDGE, { mac: ADDRESSES[role].mac, address: `${ADDRESSES[role].ip}/24` });
      ofports[role] = attached.ofport;
      ports.set(role, { id: role, networkId: NETWORK, macAddress: ADDRESSES[role].mac, ipAddresses: [ADDRESSES[role].ip], hostId: HOST, ofport: attached.ofport, portSecurity: true });
    }
  });

  afterAll(async () => {
    await controller?.close();
    for (const namespace of namespaces) await namespace.delete();
    await ovs?.stop();
  });

  const desired = (chains: ChainIntent[]): SwitchState => compileSwitch({ hostId: HOST, chains, ports, networkTags: TAGS }).state;
  const trace = async (flow: string): Promise<string> => ovs.trace(BRIDGE, flow);
  const http = (inPort: number, dst = ADDRESSES.vm): string =>
    `in_port=${inPort},tcp,dl_src=${ADDRESSES.ext.mac},dl_dst=${dst.mac},nw_src=${ADDRESSES.ext.ip},nw_dst=${dst.ip},tp_src=40000,tp_dst=80`;
  const finalAction = (traced: string): string => /Datapath actions: (.*)/.exec(traced)?.[1] ?? '';

  it('steers classified traffic to the first hop with the SF’s MAC, and everything else by known MACs', async () => {
    const reconciler = new SwitchReconciler(connection);
    await reconciler.replace(desired([chain()]));
    const toFirstHop = await trace(http(ofports.ext));
    expect(toFirstHop).toMatch(new RegExp(`group:\\d+|output:${ofports.fwIn}`));
    expect(finalAction(toFirstHop)).toContain(`eth(dst=${ADDRESSES.fwIn.mac})`);
    // Back from the FW's egress: on to the LB.
    const toSecondHop = await trace(`in_port=${ofports.fwOut},tcp,dl_src=${ADDRESSES.ext.mac},dl_dst=${ADDRESSES.fwIn.mac},nw_src=${ADDRESSES.ext.ip},nw_dst=${ADDRESSES.vm.ip},tp_dst=80`);
    expect(finalAction(toSecondHop)).toContain(`eth(dst=${ADDRESSES.lbIn.mac})`);
    // Back from the LB: to the VM that owns the destination IP, with the VM's MAC restored.
    const toVm = await trace(`in_port=${ofports.lbOut},tcp,dl_src=${ADDRESSES.ext.mac},dl_dst=${ADDRESSES.lbIn.mac},nw_src=${ADDRESSES.ext.ip},nw_dst=${ADDRESSES.vm.ip},tp_dst=80`);
    expect(finalAction(toVm)).toContain(`eth(dst=${ADDRESSES.vm.mac})`);
    // Port 22 is not classified: straight to the VM by its MAC.
    const ssh = await trace(http(ofports.ext).replace('tp_dst=80', 'tp_dst=22'));
    expect(finalAction(ssh)).not.toContain('set(eth');
    // Broadcast never reaches a service-function port.
    const arp = await trace(`in_port=${ofports.ext},arp,dl_src=${ADDRESSES.ext.mac},dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1`);
    const outputs = [...arp.matchAll(/output:(\d+)/g)].map((found) => Number(found[1]));
    expect(outputs).toContain(ofports.vm);
    for (const role of ['fwIn', 'fwOut', 'lbIn', 'lbOut', 'fw2In', 'fw2Out'] as const) expect(outputs).not.toContain(ofports[role]);
  });

  it('replaces only our flows and groups in one bundle: a foreign flow survives, a stray one of ours goes', async () => {
    await ovs.ofctl('add-flow', BRIDGE, 'cookie=0x1234,table=40,priority=5,actions=drop');
    await ovs.ofctl('add-flow', BRIDGE, `cookie=${'0x' + (OUR_COOKIE | 0x99n).toString(16)},table=0,priority=999,actions=drop`);
    const reconciler = new SwitchReconciler(connection);
    const state = desired([chain()]);
    await reconciler.replace(state);
    const flows = await ovs.installedFlows(BRIDGE);
    expect(flows.filter((flow) => flow.includes('cookie=0x1234,'))).toHaveLength(1);
    expect(flows.some((flow) => flow.includes('priority=999'))).toBe(false);
    expect(flows.filter((flow) => flow.includes('cookie=0x4e46'))).toHaveLength(state.flows.size);
    expect(hasDrift(await reconciler.audit())).toBe(false);
  });

  it('audits: flows deleted behind our back are found, and replace restores them exactly', async () => {
    const reconciler = new SwitchReconciler(connection);
    const state = desired([chain()]);
    await reconciler.replace(state);
    const before = (await ovs.installedFlows(BRIDGE)).sort();
    await ovs.ofctl('del-flows', BRIDGE, 'table=0,tcp');
    const drift = await reconciler.audit();
    expect(drift.missingFlows.length).toBeGreaterThan(0);
    await reconciler.replace(state);
    expect((await ovs.installedFlows(BRIDGE)).sort()).toEqual(before);
  });

  it('applies a change as the difference only, leaving other chains’ flows in place', async () => {
    const reconciler = new SwitchReconciler(connection);
    const webChain = chain();
    await reconciler.replace(desired([webChain]));
    const other = chain({ id: 'chain-dns', chainId: 8, hops: [chain().hops[1]!], classifiers: [{ ...chain().classifiers[0]!, id: 'dns', protocol: 17, destinationPorts: [{ min: 53, max: 53 }] }] });
    // The two chains cannot share the LB instance with correlation none; give the second its own.
    other.hops = [{ id: 'fw2', loadBalanceFields: [], instances: [{ id: 'fw2', ingressPort: 'fw2In', egressPort: 'fw2Out', weight: 1, backup: undefined }] }];
    webChain.hops[0]!.instances[0]!.backup = undefined;
    await reconciler.replace(desired([webChain]));
    const outcome = await reconciler.apply(desired([webChain, other]));
    expect(outcome.flowMods).toBeGreaterThan(0);
    expect(outcome.flowMods).toBeLessThan(desired([webChain, other]).flows.size);
    const dns = await trace(`in_port=${ofports.ext},udp,dl_src=${ADDRESSES.ext.mac},dl_dst=${ADDRESSES.vm.mac},nw_src=${ADDRESSES.ext.ip},nw_dst=${ADDRESSES.vm.ip},udp_dst=53`);
    expect(finalAction(dns)).toContain(`eth(dst=${ADDRESSES.fw2In.mac})`);
    await reconciler.apply(desired([webChain]));
    const dnsAfter = await trace(`in_port=${ofports.ext},udp,dl_src=${ADDRESSES.ext.mac},dl_dst=${ADDRESSES.vm.mac},nw_src=${ADDRESSES.ext.ip},nw_dst=${ADDRESSES.vm.ip},udp_dst=53`);
    expect(finalAction(dnsAfter)).not.toContain('set(eth');
    expect(finalAction(await trace(http(ofports.ext)))).toContain(`eth(dst=${ADDRESSES.fwIn.mac})`);
    expect(hasDrift(await reconciler.audit())).toBe(false);
  });
});
