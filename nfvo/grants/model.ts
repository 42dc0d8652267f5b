/** SOL 003 clause 9 (Grant interface): the shapes the VNFM asks with and the NFVO answers with. */
import type { CollectionSpec, Entity } from '../../platform/index.js';

export type GrantedLcmOperationType =
  | 'INSTANTIATE'
  | 'SCALE'
  | 'SCALE_TO_LEVEL'
  | 'CHANGE_FLAVOUR'
  | 'TERMINATE'
  | 'HEAL'
  | 'OPERATE'
  | 'CHANGE_EXT_CONN';

/** SOL 003 clause 9.5.3.2 ResourceDefinition (COMPUTE resources are what the NFVO reserves). */
export interface ResourceDefinition {
  id: string;
  type: 'COMPUTE' | 'VL' | 'STORAGE' | 'LINKPORT';
  vduId?: string;
  resourceTemplateId?: string;
  /** For resources to remove: the VIM resource. */
  resource?: { vimConnectionId?: string; resourceId: string; vimLevelResourceType?: string };
}

/** SOL 003 clause 9.5.3.6 PlacementConstraint. */
export interface PlacementConstraint {
  affinityOrAntiAffinity: 'AFFINITY' | 'ANTI_AFFINITY';
  scope: 'NFVI_POP' | 'ZONE' | 'ZONE_GROUP' | 'NFVI_NODE';
  /** GRANT: a resource definition id of this request; RES_MGMT: an existing resource (VNFC) id. */
  resource: Array<{ idType: 'RES_MGMT' | 'GRANT'; resourceId: string; vimConnectionId?: string }>;
  fallbackBestEffort?: boolean;
}

/** SOL 003 clause 9.5.2.2 GrantRequest. */
export interface GrantRequest {
  vnfInstanceId: string;
  vnfLcmOpOccId: string;
  vnfdId: string;
  flavourId?: string;
  operation: GrantedLcmOperationType;
  isAutomaticInvocation: boolean;
  instantiationLevelId?: string;
  addResources?: ResourceDefinition[];
  removeResources?: ResourceDefinition[];
  placementConstraints?: PlacementConstraint[];
  additionalParams?: Record<string, unknown>;
}

/** SOL 003 clause 9.5.3.3 GrantInfo, with the host the reservation holds (an extension: we are the VIM too). */
export interface GrantInfo {
  resourceDefinitionId: string;
  /** The VIM's claim: the reservation the VNFC must be created on. */
  reservationId: string;
  vimConnectionId: string;
  zoneId: string;
  hostId: string;
}

/** SOL 003 clause 9.5.2.3 Grant, as stored by the NFVO. */
export interface Grant extends Entity {
  vnfInstanceId: string;
  vnfLcmOpOccId: string;
  operation: GrantedLcmOperationType;
  vimConnectionInfo: Record<string, { vimType: string; interfaceInfo: Record<string, string> }>;
  zones: Array<{ id: string; zoneId: string; vimConnectionId: string }>;
  addResources: GrantInfo[];
  removeResources: Array<{ resourceDefinitionId: string }>;
  createdAt: string;
  /** Set once the reservations of `addResources` were given back (rollback, or the VNFCs were removed). */
  releasedAt?: string;
}

export const GRANTS: CollectionSpec = { name: 'nfvo_grants', indexes: ['vnfInstanceId'] };

/** The one VIM this orchestrator runs, as SOL 003 names VIM connections. */
export const VIM_CONNECTION_ID = 'vim-0';

/** How to reach that VIM (SOL 003 VimConnectionInfo without its id): in the orchestrator's own process. */
export const VIM_CONNECTION = { vimType: 'ETSINFV.NFV_MANO.VIM', interfaceInfo: { endpoint: 'in-process' } } as const;
