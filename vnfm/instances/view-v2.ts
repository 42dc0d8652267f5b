/**
 * SOL 003 v3.3.1 clause 5.5.2.2 VnfInstance, as VNF LCM API version 2 shows it: the version 1 representation
 * with what version 2 changed. `vimConnectionInfo` is a map by vimConnectionId; every external VL carries the
 * configuration its CPs have now (`currentVnfExtCpData`, mandatory: "allocated configuration", so built from the
 * ports, keyed by the external CP instance id) and each external CP names its entry there (`cpConfigId`,
 * mandatory) and its link port; link ports say which kind of CP they connect; VNFC CPs carry their addresses.
 */
import { VNF_LCM_V2 } from '../api-versions.js';
import type { InstantiatedVnf } from '../lifecycle/model.js';
import {
  cpProtocolInfoOf,
  extCpInstanceId,
  portsOf,
  vimConnectionsOf,
  vnfcCpInstanceId,
  vnfInstanceView,
  type CpProtocolInfo,
  type InstantiatedVnfInfoView,
  type VimConnectionInfo,
  type VnfInstance,
  type VnfInstanceView,
} from './model.js';

/** SOL 003 v3.3.1 clause 4.4.1.10 VnfExtCpData, as applied: the cpConfig map by cpConfigId. */
export interface CurrentVnfExtCpData {
  cpdId: string;
  cpConfig: Record<string, { cpProtocolData: Array<{ layerProtocol: 'IP_OVER_ETHERNET'; ipOverEthernet: { macAddress: string; ipAddresses: Array<{ type: 'IPV4' | 'IPV6'; fixedAddresses: string[] }> } }> }>;
}

export interface InstantiatedVnfInfoViewV2 extends Omit<InstantiatedVnfInfoView, 'extCpInfo' | 'extVirtualLinkInfo' | 'vnfcResourceInfo' | 'vnfVirtualLinkResourceInfo'> {
  extCpInfo: Array<InstantiatedVnfInfoView['extCpInfo'][number] & { cpConfigId: string; extLinkPortId?: string }>;
  extVirtualLinkInfo: Array<InstantiatedVnfInfoView['extVirtualLinkInfo'][number] & { currentVnfExtCpData: CurrentVnfExtCpData[] }>;
  vnfcResourceInfo: Array<
    Omit<InstantiatedVnfInfoView['vnfcResourceInfo'][number], 'vnfcCpInfo'> & {
      reservationId: string;
      vnfcCpInfo: Array<InstantiatedVnfInfoView['vnfcResourceInfo'][number]['vnfcCpInfo'][number] & { cpProtocolInfo: CpProtocolInfo[] }>;
    }
  >;
  vnfVirtualLinkResourceInfo: Array<
    Omit<InstantiatedVnfInfoView['vnfVirtualLinkResourceInfo'][number], 'vnfLinkPorts'> & {
      vnfLinkPorts: Array<InstantiatedVnfInfoView['vnfVirtualLinkResourceInfo'][number]['vnfLinkPorts'][number] & { cpInstanceType: 'VNFC_CP' | 'EXT_CP' }>;
    }
  >;
}

export interface VnfInstanceViewV2 extends Omit<VnfInstanceView, 'vimConnectionInfo' | 'instantiatedVnfInfo'> {
  vimConnectionInfo?: Record<string, VimConnectionInfo>;
  instantiatedVnfInfo?: InstantiatedVnfInfoViewV2;
}

/** The configuration an external CP port has now, as a VnfExtCpConfig (its addresses as fixed ones). */
function appliedCpConfig(protocol: CpProtocolInfo): CurrentVnfExtCpData['cpConfig'][string] {
  const { macAddress, ipAddresses } = protocol.ipOverEthernet;
  return {
    cpProtocolData: [
      { layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { macAddress, ipAddresses: ipAddresses.map(({ type, addresses }) => ({ type, fixedAddresses: addresses })) } },
    ],
  };
}

function instantiatedVnfInfoViewV2(info: InstantiatedVnf, v1: InstantiatedVnfInfoView): InstantiatedVnfInfoViewV2 {
  const ports = portsOf(info);
  const extCpPorts = new Map(ports.filter(({ port }) => port.extCpdId !== undefined).map((entry) => [extCpInstanceId(entry.vnfc, entry.port), entry]));
  const vnfcCpPorts = new Map(ports.map((entry) => [vnfcCpInstanceId(entry.vnfc, entry.port), entry.port]));
  return {
    ...v1,
    // Its VL's currentVnfExtCpData lists an external CP's configuration under the CP's own id.
    extCpInfo: v1.extCpInfo.map((extCp) => {
      const port = extCpPorts.get(extCp.id)?.port;
      return { ...extCp, cpConfigId: extCp.id, ...(port?.extVirtualLinkId === undefined ? {} : { extLinkPortId: port.portId }) };
    }),
    extVirtualLinkInfo: v1.extVirtualLinkInfo.map((link) => {
      const byCpd = new Map<string, CurrentVnfExtCpData>();
      for (const [id, { port }] of extCpPorts) {
        if (port.extVirtualLinkId !== link.id || port.extCpdId === undefined) continue;
        const data = byCpd.get(port.extCpdId) ?? { cpdId: port.extCpdId, cpConfig: {} };
        data.cpConfig[id] = appliedCpConfig(cpProtocolInfoOf(port));
        byCpd.set(port.extCpdId, data);
      }
      return { ...link, currentVnfExtCpData: [...byCpd.values()] };
    }),
    vnfcResourceInfo: v1.vnfcResourceInfo.map((vnfc) => ({
      ...vnfc,
      reservationId: vnfc.metadata.reservationId,
      vnfcCpInfo: vnfc.vnfcCpInfo.map((cp) => {
        const port = vnfcCpPorts.get(cp.id);
        return { ...cp, cpProtocolInfo: port === undefined ? [] : [cpProtocolInfoOf(port)] };
      }),
    })),
    vnfVirtualLinkResourceInfo: v1.vnfVirtualLinkResourceInfo.map((link) => ({
      ...link,
      vnfLinkPorts: link.vnfLinkPorts.map((linkPort) => ({ ...linkPort, cpInstanceType: 'VNFC_CP' as const })),
    })),
  };
}

export function vnfInstanceViewV2(instance: VnfInstance, apiRoot: string): VnfInstanceViewV2 {
  const { vimConnectionInfo: _asArray, instantiatedVnfInfo, ...common } = vnfInstanceView(instance, apiRoot, VNF_LCM_V2.instancesPath);
  const vimConnections = vimConnectionsOf(instance);
  return {
    ...common,
    ...(vimConnections === undefined ? {} : { vimConnectionInfo: vimConnections }),
    ...(instance.instantiatedVnfInfo && instantiatedVnfInfo ? { instantiatedVnfInfo: instantiatedVnfInfoViewV2(instance.instantiatedVnfInfo, instantiatedVnfInfo) } : {}),
  };
}
