/** SOL 003 clause 5.5.2: the request bodies of the VNF lifecycle operations, and their JSON schemas. */
import { keyValuePairsSchema } from '../../platform/index.js';

const identifier = { type: 'string', minLength: 1, maxLength: 255 } as const;

/** SOL 003 clause 4.4.1.10 IpOverEthernetAddressData (the parts a port takes). */
export interface IpOverEthernetAddressData {
  macAddress?: string;
  segmentationId?: string;
  ipAddresses?: Array<{ type: 'IPV4' | 'IPV6'; fixedAddresses?: string[]; numDynamicAddresses?: number; subnetId?: string }>;
}

export interface VnfExtCpConfig {
  parentCpConfigId?: string;
  linkPortId?: string;
  cpProtocolData?: Array<{ layerProtocol: 'IP_OVER_ETHERNET' | 'IP_FOR_VIRTUAL_CP'; ipOverEthernet?: IpOverEthernetAddressData }>;
}

/** SOL 003 clause 4.4.1.11 ExtVirtualLinkData: an external network (a VIM network id) and the CPs on it. */
export interface ExtVirtualLinkData {
  id: string;
  vimConnectionId?: string;
  resourceId: string;
  /** cpConfig keys are free; their entries go, in key order, to the VNFC instances of the CPD in creation order. */
  extCps: Array<{ cpdId: string; cpConfig?: Record<string, VnfExtCpConfig> }>;
}

/** SOL 003 clause 4.4.1.12 ExtManagedVirtualLinkData: an internal VL realized by a network someone else manages. */
export interface ExtManagedVirtualLinkData {
  id: string;
  vnfVirtualLinkDescId: string;
  vimConnectionId?: string;
  resourceId: string;
}

export interface InstantiateVnfRequest {
  flavourId: string;
  instantiationLevelId?: string;
  extVirtualLinks?: ExtVirtualLinkData[];
  extManagedVirtualLinks?: ExtManagedVirtualLinkData[];
  vimConnectionInfo?: unknown;
  localizationLanguage?: string;
  additionalParams?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
}

export interface TerminateVnfRequest {
  terminationType: 'FORCEFUL' | 'GRACEFUL';
  gracefulTerminationTimeout?: number;
  additionalParams?: Record<string, unknown>;
}

const ipOverEthernet = {
  type: 'object',
  properties: {
    macAddress: { type: 'string', pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$' },
    segmentationId: { type: 'string' },
    ipAddresses: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: ['IPV4', 'IPV6'] },
          fixedAddresses: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 2, maxLength: 45 } },
          numDynamicAddresses: { type: 'integer', minimum: 0, maximum: 16 },
          subnetId: { type: 'string' },
        },
      },
    },
  },
} as const;

const cpConfig = {
  type: 'object',
  maxProperties: 64,
  additionalProperties: {
    type: 'object',
    properties: {
      parentCpConfigId: { type: 'string' },
      linkPortId: { type: 'string' },
      cpProtocolData: {
        type: 'array',
        maxItems: 8,
        items: { type: 'object', required: ['layerProtocol'], properties: { layerProtocol: { enum: ['IP_OVER_ETHERNET', 'IP_FOR_VIRTUAL_CP'] }, ipOverEthernet } },
      },
    },
  },
} as const;

const extVirtualLinks = {
  type: 'array',
  maxItems: 64,
  items: {
    type: 'object',
    required: ['id', 'resourceId', 'extCps'],
    properties: {
      id: identifier,
      vimConnectionId: { type: 'string' },
      resourceProviderId: { type: 'string' },
      resourceId: identifier,
      extCps: { type: 'array', maxItems: 64, items: { type: 'object', required: ['cpdId'], properties: { cpdId: identifier, cpConfig } } },
      extLinkPorts: { type: 'array' },
    },
  },
} as const;

const extManagedVirtualLinks = {
  type: 'array',
  maxItems: 64,
  items: {
    type: 'object',
    required: ['id', 'vnfVirtualLinkDescId', 'resourceId'],
    properties: { id: identifier, vnfVirtualLinkDescId: identifier, vimConnectionId: { type: 'string' }, resourceProviderId: { type: 'string' }, resourceId: identifier },
  },
} as const;

export const instantiateVnfRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['flavourId'],
  properties: {
    flavourId: identifier,
    instantiationLevelId: identifier,
    extVirtualLinks,
    extManagedVirtualLinks,
    vimConnectionInfo: { type: ['array', 'object'] },
    localizationLanguage: { type: 'string' },
    additionalParams: keyValuePairsSchema,
    extensions: keyValuePairsSchema,
    vnfConfigurableProperties: keyValuePairsSchema,
  },
} as const;

export const terminateVnfRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['terminationType'],
  properties: {
    terminationType: { enum: ['FORCEFUL', 'GRACEFUL'] },
    gracefulTerminationTimeout: { type: 'integer', minimum: 0, maximum: 86400 },
    additionalParams: keyValuePairsSchema,
  },
} as const;

/** SOL 003 clause 5.5.2.10 OperateVnfRequest. */
export interface OperateVnfRequest {
  changeStateTo: 'STARTED' | 'STOPPED';
  stopType?: 'FORCEFUL' | 'GRACEFUL';
  gracefulStopTimeout?: number;
  additionalParams?: Record<string, unknown>;
}

/** SOL 003 clause 5.5.2.5 ScaleVnfRequest. */
export interface ScaleVnfRequest {
  type: 'SCALE_OUT' | 'SCALE_IN';
  aspectId: string;
  numberOfSteps?: number;
  additionalParams?: Record<string, unknown>;
}

/** SOL 003 clause 5.5.3.3 ScaleInfo. */
export interface ScaleInfo {
  aspectId: string;
  scaleLevel: number;
}

/** SOL 003 clause 5.5.2.6 ScaleVnfToLevelRequest: exactly one of instantiationLevelId and scaleInfo. */
export interface ScaleVnfToLevelRequest {
  instantiationLevelId?: string;
  scaleInfo?: ScaleInfo[];
  additionalParams?: Record<string, unknown>;
}

/** SOL 003 clause 5.5.2.9 HealVnfRequest (v1), with v2's `vnfcInstanceId` naming the VNFCs to heal. */
export interface HealVnfRequest {
  cause?: string;
  vnfcInstanceId?: string[];
  additionalParams?: Record<string, unknown>;
}

export const operateVnfRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['changeStateTo'],
  properties: {
    changeStateTo: { enum: ['STARTED', 'STOPPED'] },
    stopType: { enum: ['FORCEFUL', 'GRACEFUL'] },
    gracefulStopTimeout: { type: 'integer', minimum: 0, maximum: 86400 },
    additionalParams: keyValuePairsSchema,
  },
} as const;

export const scaleVnfRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'aspectId'],
  properties: {
    type: { enum: ['SCALE_OUT', 'SCALE_IN'] },
    aspectId: identifier,
    numberOfSteps: { type: 'integer', minimum: 1, maximum: 1000 },
    additionalParams: keyValuePairsSchema,
  },
} as const;

export const scaleVnfToLevelRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    instantiationLevelId: identifier,
    scaleInfo: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['aspectId', 'scaleLevel'],
        properties: { aspectId: identifier, scaleLevel: { type: 'integer', minimum: 0, maximum: 1000 }, vnfdId: identifier },
      },
    },
    additionalParams: keyValuePairsSchema,
  },
} as const;

export const healVnfRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cause: { type: 'string', maxLength: 1024 },
    vnfcInstanceId: { type: 'array', maxItems: 256, items: identifier },
    additionalParams: keyValuePairsSchema,
  },
} as const;

/** SOL 003 clause 5.5.2.12 VnfInfoModificationRequest, for the attributes this VNFM lets a client change. */
export interface VnfInfoModificationRequest {
  vnfInstanceName?: string | null;
  vnfInstanceDescription?: string | null;
  metadata?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
}

export const vnfInfoModificationRequestSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    vnfInstanceName: { type: ['string', 'null'], maxLength: 255 },
    vnfInstanceDescription: { type: ['string', 'null'], maxLength: 1024 },
    metadata: keyValuePairsSchema,
    extensions: keyValuePairsSchema,
    vnfConfigurableProperties: keyValuePairsSchema,
  },
} as const;

/** SOL 003 (v3.3.1) clause 5.5.2.11 ChangeExtVnfConnectivityRequest: external VLs to connect the VNF's external CPs to. */
export interface ChangeExtVnfConnectivityRequest {
  extVirtualLinks: ExtVirtualLinkData[];
  vimConnectionInfo?: unknown;
  additionalParams?: Record<string, unknown>;
}

export const changeExtVnfConnectivityRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['extVirtualLinks'],
  properties: {
    extVirtualLinks: { ...extVirtualLinks, minItems: 1 },
    vimConnectionInfo: { type: ['array', 'object'] },
    additionalParams: keyValuePairsSchema,
  },
} as const;

/** SOL 003 (v3.3.1) clause 5.5.2.7 ChangeVnfFlavourRequest. */
export interface ChangeVnfFlavourRequest {
  newFlavourId: string;
  instantiationLevelId?: string;
  /** The new flavour's external connectivity; the instance's current one when not given. */
  extVirtualLinks?: ExtVirtualLinkData[];
  extManagedVirtualLinks?: ExtManagedVirtualLinkData[];
  vimConnectionInfo?: unknown;
  additionalParams?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
}

export const changeVnfFlavourRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['newFlavourId'],
  properties: {
    newFlavourId: identifier,
    instantiationLevelId: identifier,
    extVirtualLinks,
    extManagedVirtualLinks,
    vimConnectionInfo: { type: ['array', 'object'] },
    additionalParams: keyValuePairsSchema,
    extensions: keyValuePairsSchema,
    vnfConfigurableProperties: keyValuePairsSchema,
  },
} as const;
