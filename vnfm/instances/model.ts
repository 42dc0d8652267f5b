import type { CollectionSpec, Entity } from '../../platform/index.js';
import type { InstantiatedVnf } from '../lifecycle/model.js';

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
export const VNF_INSTANCES_PATH = '/vnflcm/v1/vnf_instances';

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
  'instantiationState',
  'instantiatedVnfInfo',
  'metadata',
  'extensions',
]);

export interface VnfInstanceView {
  id: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  instantiationState: VnfInstance['instantiationState'];
  instantiatedVnfInfo?: InstantiatedVnfInfoView;
  metadata: Record<string, unknown>;
  extensions: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
  _links: Record<string, { href: string }>;
}

/** SOL 003 clause 5.5.2.2 InstantiatedVnfInfo, from what the lifecycle stored. */
export interface InstantiatedVnfInfoView {
  flavourId: string;
  vnfState: 'STARTED' | 'STOPPED';
  instantiationLevelId?: string;
  scaleStatus: Array<{ aspectId: string; scaleLevel: number }>;
  extCpInfo: Array<{ id: string; cpdId: string; associatedVnfcCpId: string; cpProtocolInfo: Array<{ layerProtocol: 'IP_OVER_ETHERNET'; ipOverEthernet: { macAddress: string; ipAddresses: Array<{ type: 'IPV4' | 'IPV6'; addresses: string[] }> } }> }>;
  extVirtualLinkInfo: Array<{ id: string; resourceHandle: { vimConnectionId: string; resourceId: string }; extLinkPorts: Array<{ id: string; resourceHandle: { vimConnectionId: string; resourceId: string }; cpInstanceId: string }> }>;
  vnfcResourceInfo: Array<{
    id: string;
    vduId: string;
    computeResource: { vimConnectionId: string; resourceId: string; vimLevelResourceType: string };
    zoneId: string;
    vnfcCpInfo: Array<{ id: string; cpdId: string; vnfExtCpId?: string; vnfLinkPortId: string }>;
    /** Where the VNFC runs and what it holds (extension: we are the VIM too). */
    metadata: { hostId: string; reservationId: string; name: string };
  }>;
  vnfVirtualLinkResourceInfo: Array<{ id: string; vnfVirtualLinkDescId: string; networkResource: { vimConnectionId: string; resourceId: string; vimLevelResourceType: string }; vnfLinkPorts: Array<{ id: string; resourceHandle: { vimConnectionId: string; resourceId: string }; cpInstanceId: string }> }>;
  /** SOL 003 VnfcInfo: every VNFC is in the state the VNF was last operated to. */
  vnfcInfo: Array<{ id: string; vduId: string; vnfcResourceInfoId: string; vnfcState: 'STARTED' | 'STOPPED' }>;
}

function instantiatedVnfInfoView(info: InstantiatedVnf): InstantiatedVnfInfoView {
  const handle = (resourceId: string) => ({ vimConnectionId: 'vim-0', resourceId });
  const ports = info.vnfcs.flatMap((vnfc) => vnfc.ports.map((port) => ({ vnfc, port })));
  const addressesOf = (fixedIps: readonly string[]) => {
    const plain = fixedIps.map((address) => address.split('/')[0] ?? address);
    const v4 = plain.filter((address) => !address.includes(':'));
    const v6 = plain.filter((address) => address.includes(':'));
    return [...(v4.length > 0 ? [{ type: 'IPV4' as const, addresses: v4 }] : []), ...(v6.length > 0 ? [{ type: 'IPV6' as const, addresses: v6 }] : [])];
  };
  return {
    flavourId: info.flavourId,
    vnfState: info.vnfState,
    ...(info.instantiationLevelId === undefined ? {} : { instantiationLevelId: info.instantiationLevelId }),
    scaleStatus: info.scaleStatus,
    extCpInfo: ports
      .filter(({ port }) => port.extCpdId !== undefined)
      .map(({ vnfc, port }) => ({
        id: `${vnfc.id}/${port.extCpdId ?? ''}`,
        cpdId: port.extCpdId ?? port.cpdId,
        associatedVnfcCpId: `${vnfc.id}/${port.cpdId}`,
        cpProtocolInfo: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { macAddress: port.macAddress, ipAddresses: addressesOf(port.fixedIps) } }],
      })),
    extVirtualLinkInfo: info.extVirtualLinks.map((link) => ({
      id: link.id,
      resourceHandle: handle(link.resourceId),
      extLinkPorts: ports.filter(({ port }) => port.extVirtualLinkId === link.id).map(({ vnfc, port }) => ({ id: port.portId, resourceHandle: handle(port.portId), cpInstanceId: `${vnfc.id}/${port.extCpdId ?? ''}` })),
    })),
    vnfcResourceInfo: info.vnfcs.map((vnfc) => ({
      id: vnfc.id,
      vduId: vnfc.vduId,
      computeResource: { ...handle(vnfc.id), vimLevelResourceType: 'Domain' },
      zoneId: vnfc.zoneId,
      vnfcCpInfo: vnfc.ports.map((port) => ({ id: `${vnfc.id}/${port.cpdId}`, cpdId: port.cpdId, ...(port.extCpdId === undefined ? {} : { vnfExtCpId: `${vnfc.id}/${port.extCpdId}` }), vnfLinkPortId: port.portId })),
      metadata: { hostId: vnfc.hostId, reservationId: vnfc.reservationId, name: vnfc.name },
    })),
    vnfVirtualLinkResourceInfo: info.virtualLinks.map((link) => ({
      id: link.networkId,
      vnfVirtualLinkDescId: link.vnfVirtualLinkDescId,
      networkResource: { ...handle(link.networkId), vimLevelResourceType: 'network' },
      vnfLinkPorts: ports.filter(({ port }) => port.networkId === link.networkId).map(({ vnfc, port }) => ({ id: port.portId, resourceHandle: handle(port.portId), cpInstanceId: `${vnfc.id}/${port.cpdId}` })),
    })),
    vnfcInfo: info.vnfcs.map((vnfc) => ({ id: vnfc.id, vduId: vnfc.vduId, vnfcResourceInfoId: vnfc.id, vnfcState: info.vnfState })),
  };
}

/** SOL 003 clause 5.4.2.3.2: the complex attributes a list leaves out by default. */
export const VNF_INSTANCE_SHAPE = { defaultExcluded: ['instantiatedVnfInfo', 'metadata', 'extensions', 'vnfConfigurableProperties'], mandatory: ['_links'] } as const;

export function vnfInstanceView(instance: VnfInstance, apiRoot: string): VnfInstanceView {
  const self = `${apiRoot}${VNF_INSTANCES_PATH}/${instance.id}`;
  const operations = instance.instantiationState === 'NOT_INSTANTIATED' ? ['instantiate'] : ['terminate', 'scale', 'scale_to_level', 'change_flavour', 'heal', 'operate', 'change_ext_conn'];
  return {
    id: instance.id,
    ...(instance.vnfInstanceName === undefined ? {} : { vnfInstanceName: instance.vnfInstanceName }),
    ...(instance.vnfInstanceDescription === undefined ? {} : { vnfInstanceDescription: instance.vnfInstanceDescription }),
    vnfdId: instance.vnfdId,
    vnfProvider: instance.vnfProvider,
    vnfProductName: instance.vnfProductName,
    vnfSoftwareVersion: instance.vnfSoftwareVersion,
    vnfdVersion: instance.vnfdVersion,
    instantiationState: instance.instantiationState,
    ...(instance.instantiatedVnfInfo ? { instantiatedVnfInfo: instantiatedVnfInfoView(instance.instantiatedVnfInfo) } : {}),
    metadata: instance.metadata,
    extensions: instance.extensions,
    ...(instance.vnfConfigurableProperties === undefined ? {} : { vnfConfigurableProperties: instance.vnfConfigurableProperties }),
    _links: { self: { href: self }, ...Object.fromEntries(operations.map((operation) => [operation, { href: `${self}/${operation}` }])) },
  };
}
