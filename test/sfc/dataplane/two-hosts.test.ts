import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { controllerSocketIn, INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { ping, tcpFlows, tcpServer, type TcpServer } from '../../support/traffic.js';
import { joinByUnderlay, type Underlay } from '../../support/underlay.js';

/**
 * A chain whose hop sits on another host: EXT and VM on host A, the FW on host B. The product gives both
 * hosts' integration bridges a VXLAN tunnel to each other over the harness underlay; classified packets
 * cross to B with the chain's path in the VNI, cross the FW and come back to the VM on A with the network's
 * segment as VNI. The same network spans both hosts for plain L2 traffic.
 */
describe('a chain across two hosts joined by VXLAN', () => {
  let ovsA: OvsInstance;
  let ovsB: OvsInstance;
  let underlay: Underlay;
  let sfc: SfcProduct;
  let labA: ChainLab;
  let labB: ChainLab;
  const port = {} as Record<'ext' | 'vm' | 'fwIn' | 'fwOut' | 'peer', NeutronPort>;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let peer: LabEndpoint;
  let fw: TransparentFunction;
  let web: TcpServer;
  let hostB: string;

  beforeAll(async () => {
    ovsA = await OvsInstance.start('two-a');
    ovsB = await OvsInstance.start('two-b', { within: ovsA });
    underlay = await joinByUnderlay(ovsA, ovsB);
    sfc = await SfcProduct.start(ovsA, { tunnelAddress: underlay.aAddress, controllerSocket: controllerSocketIn(ovsB) });
    hostB = await sfc.addHost(ovsB, underlay.bAddress);
    port.ext = await sfc.port('ext', '198.18.60.1');
    port.vm = await sfc.port('vm', '198.18.60.2');
    port.peer = await sfc.port('peer', '198.18.60.3');
    port.fwIn = await sfc.port('fwIn', '198.18.60.11', 'fw');
    port.fwOut = await sfc.port('fwOut', '198.18.60.12', 'fw');
    labA = new ChainLab(ovsA, INTEGRATION_BRIDGE);
    labB = new ChainLab(ovsB, INTEGRATION_BRIDGE);
    ext = await labA.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await labA.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    peer = await labB.endpoint('peer', { mac: port.peer.mac, ip: `${port.peer.ip}/24`, ifaceId: port.peer.id });
    fw = await labB.transparentFunction('fw', { ingress: { mac: port.fwIn.mac, ifaceId: port.fwIn.id }, egress: { mac: port.fwOut.mac, ifaceId: port.fwOut.id } });
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    await waitFor('a tunnel on each bridge', async () => {
      const [a, b] = [await ovsA.vsctl('--columns=name', 'find', 'Interface', 'type=vxlan'), await ovsB.vsctl('--columns=name', 'find', 'Interface', 'type=vxlan')];
      return a.includes('vx') && b.includes('vx') ? true : undefined;
    }, 15000);
    web = await tcpServer(vm.namespace, vm.ip, 80);
  }, 90000);

  afterAll(async () => {
    await web?.close();
    await labA?.close();
    await labB?.close();
    await sfc?.stop();
    await underlay?.close();
    await ovsB?.stop();
    await ovsA?.stop();
  });

  it('carries the network between the hosts: a port on B reaches the VM on A', async () => {
    await waitFor('L2 across the tunnel', async () => ((await ping(peer.namespace, vm.ip, 1)) === 1 ? true : undefined), 15000);
    expect(await ping(peer.namespace, vm.ip, 3)).toBe(3);
  });

  it('sends classified traffic from A through the FW on B and back to the VM on A', async () => {
    const classifier = (await sfc.call('POST', '/v2.0/ts/classifiers', { classifier: { name: 'web', protocol: 6, port_range: '80', dst_ip: `${vm.ip}/32` } })) as { classifier: { id: string } };
    await sfc.call('POST', '/v2.0/ts/port_chains', { port_chain: { name: 'across', classifiers: [classifier.classifier.id], ports: { [port.fwIn.id]: [port.fwOut.id] } } });
    await waitFor('the chain on both switches', async () => {
      const [a, b] = [await ovsA.installedFlows(INTEGRATION_BRIDGE), await ovsB.installedFlows(INTEGRATION_BRIDGE)];
      return a.some((flow) => flow.includes('priority=300')) && b.some((flow) => flow.includes('tun_id=0x8')) ? true : undefined;
    }, 15000);
    const before = (await fw.counters()).redirected.forward;
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 10 });
    expect(flows.failed).toBe(0);
    const crossed = (await fw.counters()).redirected.forward - before;
    expect(crossed).toBeGreaterThanOrEqual(30);
    // The VM saw EXT's own address: the FW is transparent, the tunnels carry the packets unchanged.
    expect((await web.connections()).filter((seen) => seen.remoteAddress === ext.ip).length).toBeGreaterThanOrEqual(10);
    // Not classified: straight from EXT to the VM on A, the FW sees nothing.
    expect(await ping(ext.namespace, vm.ip, 3)).toBe(3);
    expect((await fw.counters()).redirected.forward - before).toBe(crossed);
  });

  it('traces the packet across both switches: through the tunnel to the FW on B and back to the VM on A', async () => {
    const traced = (await sfc.call('POST', '/v2.0/sfc/traces', {
      trace: { ingress_port: port.ext.id, protocol: 'tcp', source_ip: ext.ip, destination_ip: vm.ip, source_port: 40000, destination_port: 80 },
    })) as { trace: { segments: Array<{ host_id: string }>; hops: Array<{ hop: number; ingress_port: string }>; delivered_to: string[] } };
    expect(traced.trace.hops.map((hop) => [hop.hop, hop.ingress_port])).toEqual([[1, port.fwIn.id]]);
    expect(traced.trace.delivered_to).toEqual([port.vm.id]);
    expect(traced.trace.segments.map((segment) => segment.host_id)).toEqual([sfc.hostId, hostB, hostB, sfc.hostId]);
  });
});
