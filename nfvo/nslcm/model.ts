/** SOL 005 NS lifecycle: the NS instance as stored, its requests, and its API representation. */
import { keyValuePairsSchema, type CollectionSpec, type Entity } from '../../platform/index.js';
import type { SteeredChainSpec } from '../../sfc/index.js';

export interface NsVnfRecord {
  vnfProfileId: string;
  vnfInstanceId: string;
}

/** A VNF as the INSTANTIATE step `vnfs` answers it: `leftOut` when the operation was continued without it (its instantiation had failed). */
export interface NsVnfOutcome extends NsVnfRecord {
  leftOut?: true;
}

export interface NsVirtualLinkRecord {
  nsVirtualLinkDescId: string;
  networkId: string;
}

export interface NsSapRecord {
  sapdId: string;
  sapName: string;
  portId: string;
  networkId: string;
  macAddress: string;
  addresses: string[];
}

export interface NsVnffgRecord {
  vnffgdId: string;
  nfpId: string;
  /** The Traffic Steering port chain the NFP is programmed as. */
  portChainId: string;
  networkId: string;
  spec: SteeredChainSpec;
}

export interface NsInstance extends Entity {
  nsInstanceName: string;
  nsInstanceDescription: string;
  nsdId: string;
  nsdInfoId: string;
  nsState: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  flavourId?: string;
  vnfs: NsVnfRecord[];
  virtualLinks: NsVirtualLinkRecord[];
  saps: NsSapRecord[];
  vnffgs: NsVnffgRecord[];
  /** The level of each NS scaling aspect the NS was scaled by (SCALE_NS); an aspect not listed is at level 0. */
  nsScaleStatus?: NsScaleInfo[];
  createdAt: string;
}

/** SOL 005 NsScaleInfo: an NS scaling aspect of the NSD and a level of it (its number, as text). */
export interface NsScaleInfo {
  nsScalingAspectId: string;
  nsScaleLevelId: string;
}

export const NS_INSTANCES: CollectionSpec = { name: 'nslcm_ns_instances', indexes: ['nsdInfoId', 'nsState'] };
export const NS_LCM_OP_OCCS_COLLECTION = 'nslcm_op_occs';
export const NS_INSTANCES_PATH = '/nslcm/v1/ns_instances';
export const NS_LCM_OP_OCCS_PATH = '/nslcm/v1/ns_lcm_op_occs';

export interface CreateNsRequest {
  nsdId: string;
  nsName: string;
  nsDescription: string;
}

export interface SapData {
  sapdId: string;
  sapName: string;
  description?: string;
  sapProtocolData?: Array<{
    layerProtocol: 'IP_OVER_ETHERNET';
    ipOverEthernet?: { macAddress?: string; ipAddresses?: Array<{ type: 'IPV4' | 'IPV6'; fixedAddresses?: string[] }> };
  }>;
}

export interface InstantiateNsRequest {
  nsFlavourId: string;
  nsInstantiationLevelId?: string;
  sapData?: SapData[];
  additionalParamsForNs?: Record<string, unknown>;
  additionalParamsForVnf?: Array<{ vnfProfileId: string; vnfInstanceName?: string; vnfInstanceDescription?: string; additionalParams?: Record<string, unknown> }>;
  startTime?: string;
  localizationLanguage?: string;
}

const identifier = { type: 'string', minLength: 1, maxLength: 255 } as const;

export interface OperateVnfData {
  vnfInstanceId: string;
  changeStateTo: 'STARTED' | 'STOPPED';
  stopType?: 'FORCEFUL' | 'GRACEFUL';
  gracefulStopTimeout?: number;
}

/** SOL 005 clause 6.5.2.12 UpdateNsRequest, for the update types this NFVO carries out. */
/** SOL 005 clause 6.5.3.x NfpRule: the classification of an NFP's traffic (what this NFVO classifies on). */
export interface NfpRuleData {
  etherType?: 'IPV4' | 'IPV6';
  protocol?: 'TCP' | 'UDP' | 'ICMP';
  destinationPortRange?: { lowerPort: number; upperPort: number };
  sourceIpAddressPrefix?: string;
  destinationIpAddressPrefix?: string;
  /** Matching on these is not done by the NS's chains: a request with them is refused. */
  etherDestinationAddress?: string;
  etherSourceAddress?: string;
  vlanTag?: string[];
  dscp?: string;
  sourcePortRange?: { lowerPort: number; upperPort: number };
  extendedCriteria?: unknown[];
}

/** SOL 005 clause 6.5.3.38 NfpData: an NFP of the graph to modify (this NFVO changes its classification only). */
export interface NfpData {
  nfpInfoId?: string;
  nfpName?: string;
  description?: string;
  cpGroup?: unknown[];
  nfpRule?: NfpRuleData;
}

/** SOL 005 clause 6.5.3.37 UpdateVnffgData: NFPs of a VNFFG instance modified (`nfp`) or deleted (`nfpInfoId`). */
export interface UpdateVnffgData {
  vnffgInfoId: string;
  nfp?: NfpData[];
  nfpInfoId?: string[];
}

export interface UpdateNsRequest {
  updateType: 'ADD_VNFFG' | 'REMOVE_VNFFG' | 'OPERATE_VNF' | 'ADD_VNF' | 'REMOVE_VNF' | 'UPDATE_VNFFG';
  addVnfInstance?: Array<{ vnfInstanceId: string; vnfProfileId: string }>;
  removeVnfInstanceId?: string[];
  addVnffg?: Array<{ vnffgdId: string; vnffgName?: string; description?: string }>;
  /** vnffgInfo ids, as the NS instance shows them. */
  removeVnffg?: string[];
  operateVnfData?: OperateVnfData[];
  updateVnffg?: UpdateVnffgData[];
  updateTime?: string;
}

export const UPDATE_TYPES = ['ADD_VNFFG', 'REMOVE_VNFFG', 'OPERATE_VNF', 'ADD_VNF', 'REMOVE_VNF', 'UPDATE_VNFFG'] as const;

const portRange = { type: 'object', required: ['lowerPort', 'upperPort'], properties: { lowerPort: { type: 'integer', minimum: 0, maximum: 65535 }, upperPort: { type: 'integer', minimum: 0, maximum: 65535 } } } as const;

export const updateNsRequestSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['updateType'],
  properties: {
    updateType: { type: 'string', minLength: 1 },
    addVnffg: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'object', required: ['vnffgdId'], properties: { vnffgdId: identifier, vnffgName: { type: 'string' }, description: { type: 'string' } } } },
    removeVnffg: { type: 'array', minItems: 1, maxItems: 16, items: identifier },
    addVnfInstance: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'object', required: ['vnfInstanceId', 'vnfProfileId'], properties: { vnfInstanceId: identifier, vnfProfileId: identifier } } },
    removeVnfInstanceId: { type: 'array', minItems: 1, maxItems: 64, items: identifier },
    operateVnfData: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        required: ['vnfInstanceId', 'changeStateTo'],
        properties: {
          vnfInstanceId: identifier,
          changeStateTo: { enum: ['STARTED', 'STOPPED'] },
          stopType: { enum: ['FORCEFUL', 'GRACEFUL'] },
          gracefulStopTimeout: { type: 'integer', minimum: 0, maximum: 86400 },
        },
      },
    },
    updateVnffg: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      items: {
        type: 'object',
        required: ['vnffgInfoId'],
        properties: {
          vnffgInfoId: { type: 'string', minLength: 1, maxLength: 512 },
          nfpInfoId: { type: 'array', minItems: 1, maxItems: 16, items: identifier },
          nfp: {
            type: 'array',
            minItems: 1,
            maxItems: 16,
            items: {
              type: 'object',
              properties: {
                nfpInfoId: identifier,
                nfpName: { type: 'string', maxLength: 255 },
                description: { type: 'string' },
                cpGroup: { type: 'array' },
                nfpRule: {
                  type: 'object',
                  properties: {
                    etherType: { enum: ['IPV4', 'IPV6'] },
                    protocol: { enum: ['TCP', 'UDP', 'ICMP'] },
                    destinationPortRange: portRange,
                    sourcePortRange: portRange,
                    sourceIpAddressPrefix: { type: 'string', maxLength: 64 },
                    destinationIpAddressPrefix: { type: 'string', maxLength: 64 },
                  },
                },
              },
            },
          },
        },
      },
    },
    updateTime: { type: 'string' },
  },
} as const;

/** SOL 005 clause 6.5.2.14 ScaleNsRequest: this NFVO scales the NS's VNFs (SCALE_VNF) by steps of their aspects. */
export interface ScaleNsRequest {
  scaleType: 'SCALE_NS' | 'SCALE_VNF';
  scaleVnfData?: Array<{
    vnfInstanceId: string;
    scaleVnfType: 'SCALE_OUT' | 'SCALE_IN' | 'SCALE_TO_INSTANTIATION_LEVEL' | 'SCALE_TO_SCALE_LEVEL(S)';
    scaleByStepData?: { aspectId: string; numberOfSteps?: number; additionalParams?: Record<string, unknown> };
  }>;
  scaleNsData?: ScaleNsData;
  scaleTime?: string;
}

/** SOL 005 clause 6.5.3.27 ScaleNsData, as far as this NFVO carries it out: by steps of an aspect, or to aspect levels. */
export interface ScaleNsData {
  scaleNsByStepsData?: { scalingDirection: 'SCALE_OUT' | 'SCALE_IN'; aspectId: string; numberOfSteps?: number; additionalParams?: Record<string, unknown> };
  scaleNsToLevelData?: { nsInstantiationLevel?: string; nsScaleInfo?: NsScaleInfo[] };
  /** For the VNFs a scaling out creates, per VNF profile. */
  additionalParamsForVnf?: Array<{ vnfProfileId: string; vnfInstanceName?: string; vnfInstanceDescription?: string; additionalParams?: Record<string, unknown> }>;
  vnfInstanceToBeAdded?: unknown[];
  vnfInstanceToBeRemoved?: string[];
}

/** SOL 005 clause 6.5.2.13 HealNsRequest: the NS's VNFs healed through the VNFM (healVnfData). */
export interface HealNsRequest {
  healVnfData?: Array<{ vnfInstanceId: string; cause?: string; additionalParams?: Record<string, unknown> }>;
  healNsData?: Record<string, unknown>;
}

export const scaleNsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['scaleType'],
  properties: {
    scaleType: { enum: ['SCALE_NS', 'SCALE_VNF'] },
    scaleVnfData: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        required: ['vnfInstanceId', 'scaleVnfType'],
        properties: {
          vnfInstanceId: identifier,
          scaleVnfType: { enum: ['SCALE_OUT', 'SCALE_IN', 'SCALE_TO_INSTANTIATION_LEVEL', 'SCALE_TO_SCALE_LEVEL(S)'] },
          scaleToLevelData: { type: 'object' },
          scaleByStepData: {
            type: 'object',
            required: ['aspectId'],
            properties: { aspectId: identifier, numberOfSteps: { type: 'integer', minimum: 1, maximum: 100 }, additionalParams: keyValuePairsSchema },
          },
        },
      },
    },
    scaleNsData: {
      type: 'object',
      properties: {
        scaleNsByStepsData: {
          type: 'object',
          required: ['scalingDirection', 'aspectId'],
          properties: { scalingDirection: { enum: ['SCALE_OUT', 'SCALE_IN'] }, aspectId: identifier, numberOfSteps: { type: 'integer', minimum: 1, maximum: 100 }, additionalParams: keyValuePairsSchema },
        },
        scaleNsToLevelData: {
          type: 'object',
          properties: {
            nsInstantiationLevel: identifier,
            nsScaleInfo: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'object', required: ['nsScalingAspectId', 'nsScaleLevelId'], properties: { nsScalingAspectId: identifier, nsScaleLevelId: identifier } } },
          },
        },
        additionalParamsForVnf: { type: 'array', maxItems: 64, items: { type: 'object', required: ['vnfProfileId'], properties: { vnfProfileId: identifier, vnfInstanceName: { type: 'string', maxLength: 255 }, vnfInstanceDescription: { type: 'string' }, additionalParams: keyValuePairsSchema } } },
        vnfInstanceToBeAdded: { type: 'array' },
        vnfInstanceToBeRemoved: { type: 'array', items: identifier },
      },
    },
    scaleTime: { type: 'string' },
  },
} as const;

export const healNsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    healVnfData: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { type: 'object', required: ['vnfInstanceId'], properties: { vnfInstanceId: identifier, cause: { type: 'string' }, additionalParams: keyValuePairsSchema } },
    },
    healNsData: { type: 'object' },
  },
} as const;

export interface TerminateNsRequest {
  terminationTime?: string;
}


export const createNsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['nsdId', 'nsName', 'nsDescription'],
  properties: { nsdId: identifier, nsName: { type: 'string', maxLength: 255 }, nsDescription: { type: 'string', maxLength: 1024 } },
} as const;

export const instantiateNsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['nsFlavourId'],
  properties: {
    nsFlavourId: identifier,
    nsInstantiationLevelId: identifier,
    sapData: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        required: ['sapdId', 'sapName'],
        properties: {
          sapdId: identifier,
          sapName: { type: 'string', maxLength: 255 },
          description: { type: 'string' },
          sapProtocolData: {
            type: 'array',
            maxItems: 4,
            items: {
              type: 'object',
              required: ['layerProtocol'],
              properties: {
                layerProtocol: { enum: ['IP_OVER_ETHERNET'] },
                ipOverEthernet: {
                  type: 'object',
                  properties: {
                    macAddress: { type: 'string', pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$' },
                    ipAddresses: {
                      type: 'array',
                      maxItems: 8,
                      items: { type: 'object', required: ['type'], properties: { type: { enum: ['IPV4', 'IPV6'] }, fixedAddresses: { type: 'array', maxItems: 8, items: { type: 'string', minLength: 2, maxLength: 45 } } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    additionalParamsForNs: keyValuePairsSchema,
    additionalParamsForVnf: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        required: ['vnfProfileId'],
        properties: { vnfProfileId: identifier, vnfInstanceName: { type: 'string', maxLength: 255 }, vnfInstanceDescription: { type: 'string' }, additionalParams: keyValuePairsSchema },
      },
    },
    startTime: { type: 'string' },
    localizationLanguage: { type: 'string' },
  },
} as const;

export const terminateNsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { terminationTime: { type: 'string' }, terminationType: { enum: ['GRACEFUL', 'FORCEFUL'] }, gracefulTerminationTimeout: { type: 'integer', minimum: 0, maximum: 86400 } },
} as const;
