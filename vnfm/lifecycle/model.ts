/** What the VNF lifecycle keeps on an instantiated VNF instance: enough to rebuild, remove or restore every resource. */
import type { VnfcSpec } from '../../vim/index.js';
import type { ExtVirtualLinkData } from './requests.js';

export interface VnfcPortRecord {
  cpdId: string;
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: string[];
  /** The VNF external CP it realizes, when the CPD is exposed. */
  extCpdId?: string;
  extVirtualLinkId?: string;
  vnicType: string;
}

export interface VnfcRecord {
  /** Also the VNFC's UUID on the host (libvirt domain UUID) and the grant's resource definition id. */
  id: string;
  vduId: string;
  /** The name the host knows it by. */
  name: string;
  hostId: string;
  zoneId: string;
  integrationBridge: string;
  /** The VIM claim (the grant's reservation) its CPUs, memory and VFs are held by. */
  reservationId: string;
  grantId: string;
  ports: VnfcPortRecord[];
  spec: VnfcSpec;
}

export interface VnfVirtualLinkRecord {
  vnfVirtualLinkDescId: string;
  networkId: string;
  /** `vnfm`: created (and removed) by the lifecycle; `external`: given by the request (extManagedVirtualLinks). */
  managedBy: 'vnfm' | 'external';
}

/** The stored part of SOL 003 InstantiatedVnfInfo. */
export interface InstantiatedVnf {
  flavourId: string;
  instantiationLevelId?: string;
  vnfState: 'STARTED' | 'STOPPED';
  scaleStatus: Array<{ aspectId: string; scaleLevel: number }>;
  vnfcs: VnfcRecord[];
  virtualLinks: VnfVirtualLinkRecord[];
  extVirtualLinks: ExtVirtualLinkData[];
}
