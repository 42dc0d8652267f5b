import { VIM_CONNECTION, VIM_CONNECTION_ID } from '../../nfvo/index.js';
import type { CollectionSpec, Entity } from '../../platform/index.js';
import { VNF_LCM_V1 } from '../api-versions.js';
import type { InstantiatedVnf, VnfcPortRecord, VnfcRecord } from '../lifecycle/model.js';

/** SOL 003 clause 5.5.2.2 VnfInstance, as stored (the view adds `_links`). */
export interface VnfInstance extends Entity {
  vnfInstanceName: string | undefined;
  vnfInstanceDescription: string | undefined;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  /** The onboarded package the VNFD came from (marked in use while this instance exists). */
  vnfPkgId: string;
  instantiationState: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  /** Present while INSTANTIATED: every resource the instance holds. */
  instantiatedVnfInfo?: InstantiatedVnf;
  metadata: Record<string, unknown>;
  extensions: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
  createdAt: string;
}

export const VNF_INSTANCES: CollectionSpec = { name: 'vnfm_vnf_instances', indexes: ['vnfdId', 'instantiationState'] };
export const VNF_INSTANCES_PATH = VNF_LCM_V1.instancesPath;

/** Attributes a SOL 013 filter may name (first path segment). */
export const VNF_INSTANCE_ATTRIBUTES = new Set([
  'id',
  'vnfInstanceName',
  'vnfInstanceDescription',
  'vnfdId',
  'vnfProvider',
  'vnfProductName',
  'vnfSoftwareVersion',
  'vnfdVersion',
  'vimConnectionInfo',
  'instantiationState',
  'instantiatedVnfInfo',
  'metadata',
  'extensions',
]);

/** SOL 003 clause 4.4.1.6 VimConnectionInfo (in v1 with its `id`; in v2 the value of a map keyed by it). */
export interface VimConnectionInfo {
  vimId?: string;
  vimType: string;
  interfaceInfo?: Record<string, string>;
}

export interface VnfInstanceView {
  id: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  vimConnectionInfo?: Array<VimConnectionInfo & { id: string }>;
  instantiationState: VnfInstance['instantiationState'];
  instantiatedVnfInfo?: InstantiatedVnfInfoView;
  metadata: Record<string, unknown>;
  extensions: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
  _links: Record<string, { href: string }>;
}

export interface ResourceHandle {
  vimConnectionId: string;
  resourceId: string;
}

/** SOL 003 clause 4.4.1.7 CpProtocolInfo, of a port. */
export interface CpProtocolInfo {
  layerProtocol: 'IP_OVER_ETHERNET';
  ipOverEthernet: { macAddress: string; ipAddresses: Array<{ type: 'IPV4' | 'IPV6'; addresses: string[] }> };
}

/** SOL 003 clause 5.5.2.2 InstantiatedVnfInfo, from what the lifecycle stored. */
export interface InstantiatedVnfInfoView {
  flavourId: string;
  vnfState: 'STARTED' | 'STOPPED';
  instantiationLevelId?: string;
  scaleStatus: Array<{ aspectId: string; scaleLevel: number }>;
  extCpInfo: Array<{ id: string; cpdId: string; associatedVnfcCpId: string; cpProtocolInfo: CpProtocolInfo[] }>;
  extVirtualLinkInfo: Array<{ id: string; resourceHandle: ResourceHandle; extLinkPorts: Array<{ id: string; resourceHandle: ResourceHandle; cpInstanceId: string }> }>;
  vnfcResourceInfo: Array<{
    id: string;
    vduId: string;
    computeResource: ResourceHandle & { vimLevelResourceType: string };
    zoneId: string;
    vnfcCpInfo: Array<{ id: string; cpdId: string; vnfExtCpId?: string; vnfLinkPortId: string }>;
    /** Where the VNFC runs and what it holds (extension: we are the VIM too). */
    metadata: { hostId: string; reservationId: string; name: string };
  }>;
  vnfVirtualLinkResourceInfo: Array<{
    id: string;
    vnfVirtualLinkDescId: string;
    networkResource: ResourceHandle & { vimLevelResourceType: string };
    vnfLinkPorts: Array<{ id: string; resourceHandle: ResourceHandle; cpInstanceId: string }>;
  }>;
  /** SOL 003 VnfcInfo: every VNFC is in the state the VNF was last operated to. */
  vnfcInfo: Array<{ id: string; vduId: string; vnfcResourceInfoId: string; vnfcState: 'STARTED' | 'STOPPED' }>;
}

/** The id of a VNFC's CP instance (VnfcCpInfo), which link ports and external CPs refer to. */
export function vnfcCpInstanceId(vnfc: VnfcRecord, port: VnfcPortRecord): string {
  return `${vnfc.id}/${port.cpdId}`;
}

/** The id of the external CP instance (VnfExtCpInfo) a VNFC's port realizes, for a port of an exposed CPD. */
export function extCpInstanceId(vnfc: VnfcRecord, port: VnfcPortRecord): string {
  return `${vnfc.id}/${port.extCpdId ?? ''}`;
}

export function resourceHandle(resourceId: string): ResourceHandle {
  return { vimConnectionId: VIM_CONNECTION_ID, resourceId };
}

export function cpProtocolInfoOf(port: VnfcPortRecord): CpProtocolInfo {
  const plain = port.fixedIps.map((address) => address.split('/')[0] ?? address);
  const v4 = plain.filter((address) => !address.includes(':'));
  const v6 = plain.filter((address) => address.includes(':'));
  const ipAddresses = [...(v4.length > 0 ? [{ type: 'IPV4' as const, addresses: v4 }] : []), ...(v6.length > 0 ? [{ type: 'IPV6' as const, addresses: v6 }] : [])];
  return { layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { macAddress: port.macAddress, ipAddresses } };
}

/** Every port of the instance's VNFCs, with its VNFC. */
export function portsOf(info: InstantiatedVnf): Array<{ vnfc: VnfcRecord; port: VnfcPortRecord }> {
  return info.vnfcs.flatMap((vnfc) => vnfc.ports.map((port) => ({ vnfc, port })));
}

/**
 * The VIM connections an instantiated VNF's resources are in, by vimConnectionId: the one VIM this
 * orchestrator runs, as the NFVO's grants name it.
 */
export function vimConnectionsOf(instance: VnfInstance): Record<string, VimConnectionInfo> | undefined {
  if (instance.instantiatedVnfInfo === undefined) return undefined;
  return { [VIM_CONNECTION_ID]: { ...VIM_CONNECTION, interfaceInfo: { ...VIM_CONNECTION.interfaceInfo } } };
}

function instantiatedVnfInfoView(info: InstantiatedVnf): InstantiatedVnfInfoView {
  const ports = portsOf(info);
  return {
    flavourId: info.flavourId,
    vnfState: info.vnfState,
    ...(info.instantiationLevelId === undefined ? {} : { instantiationLevelId: info.instantiationLevelId }),
    scaleStatus: info.scaleStatus,
    extCpInfo: ports
      .filter(({ port }) => port.extCpdId !== undefined)
      .map(({ vnfc, port }) => ({
        id: extCpInstanceId(vnfc, port),
        cpdId: port.extCpdId ?? port.cpdId,
        associatedVnfcCpId: vnfcCpInstanceId(vnfc, port),
        cpProtocolInfo: [cpProtocolInfoOf(port)],
      })),
    extVirtualLinkInfo: info.extVirtualLinks.map((link) => ({
      id: link.id,
      resourceHandle: resourceHandle(link.resourceId),
      extLinkPorts: ports
        .filter(({ port }) => port.extVirtualLinkId === link.id)
        .map(({ vnfc, port }) => ({ id: port.portId, resourceHandle: resourceHandle(port.portId), cpInstanceId: extCpInstanceId(vnfc, port) })),
    })),
    vnfcResourceInfo: info.vnfcs.map((vnfc) => ({
      id: vnfc.id,
      vduId: vnfc.vduId,
      computeResource: { ...resourceHandle(vnfc.id), vimLevelResourceType: 'Domain' },
      zoneId: vnfc.zoneId,
      vnfcCpInfo: vnfc.ports.map((port) => ({
        id: vnfcCpInstanceId(vnfc, port),
        cpdId: port.cpdId,
        ...(port.extCpdId === undefined ? {} : { vnfExtCpId: extCpInstanceId(vnfc, port) }),
        vnfLinkPortId: port.portId,
      })),
      metadata: { hostId: vnfc.hostId, reservationId: vnfc.reservationId, name: vnfc.name },
    })),
    vnfVirtualLinkResourceInfo: info.virtualLinks.map((link) => ({
      id: link.networkId,
      vnfVirtualLinkDescId: link.vnfVirtualLinkDescId,
      networkResource: { ...resourceHandle(link.networkId), vimLevelResourceType: 'network' },
      vnfLinkPorts: ports
        .filter(({ port }) => port.networkId === link.networkId)
        .map(({ vnfc, port }) => ({ id: port.portId, resourceHandle: resourceHandle(port.portId), cpInstanceId: vnfcCpInstanceId(vnfc, port) })),
    })),
    vnfcInfo: info.vnfcs.map((vnfc) => ({ id: vnfc.id, vduId: vnfc.vduId, vnfcResourceInfoId: vnfc.id, vnfcState: info.vnfState })),
  };
}

/** SOL 003 clause 5.4.2.3.2: the complex attributes a list leaves out by default. */
export const VNF_INSTANCE_SHAPE = {
  defaultExcluded: ['vimConnectionInfo', 'instantiatedVnfInfo', 'metadata', 'extensions', 'vnfConfigurableProperties'],
  mandatory: ['_links'],
} as const;

/** The tasks an instance offers in its state, as SOL 003 names their links, with their URI segment. */
const TASK_LINKS = {
  NOT_INSTANTIATED: [['instantiate', 'instantiate']],
  INSTANTIATED: [
    ['terminate', 'terminate'],
    ['scale', 'scale'],
    ['scaleToLevel', 'scale_to_level'],
    ['changeFlavour', 'change_flavour'],
    ['heal', 'heal'],
    ['operate', 'operate'],
    ['changeExtConn', 'change_ext_conn'],
  ],
} as const;

/** The VnfInstance of VNF LCM API v1 (SOL 003 v2.6.1); `instancesPath` is that of the API version shown. */
export function vnfInstanceView(instance: VnfInstance, apiRoot: string, instancesPath: string = VNF_INSTANCES_PATH): VnfInstanceView {
  const self = `${apiRoot}${instancesPath}/${instance.id}`;
  const vimConnections = vimConnectionsOf(instance);
  return {
    id: instance.id,
    ...(instance.vnfInstanceName === undefined ? {} : { vnfInstanceName: instance.vnfInstanceName }),
    ...(instance.vnfInstanceDescription === undefined ? {} : { vnfInstanceDescription: instance.vnfInstanceDescription }),
    vnfdId: instance.vnfdId,
    vnfProvider: instance.vnfProvider,
    vnfProductName: instance.vnfProductName,
    vnfSoftwareVersion: instance.vnfSoftwareVersion,
    vnfdVersion: instance.vnfdVersion,
    ...(vimConnections === undefined ? {} : { vimConnectionInfo: Object.entries(vimConnections).map(([id, connection]) => ({ id, ...connection })) }),
    instantiationState: instance.instantiationState,
    ...(instance.instantiatedVnfInfo ? { instantiatedVnfInfo: instantiatedVnfInfoView(instance.instantiatedVnfInfo) } : {}),
    metadata: instance.metadata,
    extensions: instance.extensions,
    ...(instance.vnfConfigurableProperties === undefined ? {} : { vnfConfigurableProperties: instance.vnfConfigurableProperties }),
    _links: { self: { href: self }, ...Object.fromEntries(TASK_LINKS[instance.instantiationState].map(([name, segment]) => [name, { href: `${self}/${segment}` }])) },
  };
}
