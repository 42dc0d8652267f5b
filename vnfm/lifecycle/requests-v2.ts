/**
 * SOL 003 v3.3.1 (VNF LCM API version 2.0.0): the request bodies whose shape differs from version 1. A v2
 * body is the same internal request as a v1 body (`InstantiateVnfRequest`, ...): the lifecycle reads neither
 * `vimConnectionInfo` (resources go to the VIM the grant names) nor the cpConfig keys beyond their order, so a
 * v2 body goes to it as it came, and the occurrence's `operationParams` show it as sent.
 */
import { keyValuePairsSchema } from '../../platform/index.js';
import { instantiateVnfRequestSchema } from './requests.js';


/** SOL 003 v3.3.1 clause 4.4.1.6 VimConnectionInfo, the value of a map keyed by vimConnectionId. */
const vimConnectionInfoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['vimType'],
  properties: {
    vimId: { type: 'string', minLength: 1, maxLength: 255 },
    vimType: { type: 'string', minLength: 1, maxLength: 255 },
    interfaceInfo: keyValuePairsSchema,
    accessInfo: keyValuePairsSchema,
    extra: keyValuePairsSchema,
  },
} as const;

/** In v2 a map of VimConnectionInfo by vimConnectionId; in v1 an array whose entries carry their id. */
export const vimConnectionInfoMapSchema = {
  type: 'object',
  maxProperties: 16,
  additionalProperties: vimConnectionInfoSchema,
} as const;

const extVirtualLinkV1 = instantiateVnfRequestSchema.properties.extVirtualLinks.items;
const extCpV1 = extVirtualLinkV1.properties.extCps.items;

/**
 * SOL 003 v3.3.1 clause 4.4.1.11 ExtVirtualLinkData: each VnfExtCpData (clause 4.4.1.10) has a cpConfig map
 * with at least one entry, and there is at least one external CP.
 */
const extVirtualLinkDataSchemaV2 = {
  ...extVirtualLinkV1,
  properties: {
    ...extVirtualLinkV1.properties,
    extCps: {
      ...extVirtualLinkV1.properties.extCps,
      minItems: 1,
      items: { ...extCpV1, required: ['cpdId', 'cpConfig'], properties: { ...extCpV1.properties, cpConfig: { ...extCpV1.properties.cpConfig, minProperties: 1 } } },
    },
  },
} as const;

/** A request body schema with object properties, as those of requests.ts are. */
export interface RequestBodySchema {
  properties: Readonly<Record<string, unknown>>;
}

/**
 * The version 2 schema of a request body whose version 1 schema is given: its `vimConnectionInfo` is a map and
 * its `extVirtualLinks` have VnfExtCpData as v2 has it (InstantiateVnfRequest, ChangeVnfFlavourRequest,
 * ChangeExtVnfConnectivityRequest); every other attribute is as in version 1.
 */
export function requestSchemaV2(schema: RequestBodySchema): object {
  const properties: Record<string, unknown> = { ...schema.properties };
  if ('vimConnectionInfo' in properties) properties.vimConnectionInfo = vimConnectionInfoMapSchema;
  if ('extVirtualLinks' in properties) properties.extVirtualLinks = { ...(properties.extVirtualLinks as object), items: extVirtualLinkDataSchemaV2 };
  return { ...schema, properties };
}
