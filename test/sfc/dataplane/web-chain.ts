import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { OvsInstance } from '../../support/ovs.js';
import { INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { tcpServer, type TcpServer } from '../../support/traffic.js';

export type WebChainPort = 'ext' | 'vm' | 'fwIn' | 'fwOut' | 'lbIn' | 'lbOut';

/**
 * The seed's example network on a harness switch driven by the product: EXT and VM endpoints, FW and LB as
 * L2-transparent functions, every port a Neutron port plugged and bound, and TCP servers on the VM.
 */
export interface WebChainLab {
  ovs: OvsInstance;
  sfc: SfcProduct;
  lab: ChainLab;
  port: Record<WebChainPort, NeutronPort>;
  ext: LabEndpoint;
  vm: LabEndpoint;
  fw: TransparentFunction;
  lb: TransparentFunction;
  servers: TcpServer[];
  close(): Promise<void>;
}

export async function startWebChainLab(label: string, subnet: string, serverPorts: readonly number[]): Promise<WebChainLab> {
  const ovs = await OvsInstance.start(label);
  const sfc = await SfcProduct.start(ovs);
  const lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
  const hostPart: Record<WebChainPort, number> = { ext: 1, vm: 2, fwIn: 11, fwOut: 12, lbIn: 21, lbOut: 22 };
  const port = {} as Record<WebChainPort, NeutronPort>;
  for (const [name, host] of Object.entries(hostPart) as Array<[WebChainPort, number]>) port[name] = await sfc.port(name, `${subnet}.${host}`, name.replace(/(In|Out)$/, ''));
  const ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
  const vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
  const fw = await lab.transparentFunction('fw', { ingress: { mac: port.fwIn.mac, ifaceId: port.fwIn.id }, egress: { mac: port.fwOut.mac, ifaceId: port.fwOut.id } });
  const lb = await lab.transparentFunction('lb', { ingress: { mac: port.lbIn.mac, ifaceId: port.lbIn.id }, egress: { mac: port.lbOut.mac, ifaceId: port.lbOut.id } });
  for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
  const servers: TcpServer[] = [];
  for (const serverPort of serverPorts) servers.push(await tcpServer(vm.namespace, vm.ip, serverPort));
  return {
    ovs,
    sfc,
    lab,
    port,
    ext,
    vm,
    fw,
    lb,
    servers,
    async close() {
      for (const server of servers) await server.close();
      await lab.close();
      await sfc.stop();
      await ovs.stop();
    },
  };
}
