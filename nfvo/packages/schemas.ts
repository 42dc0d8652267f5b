import { keyValuePairsSchema, operationalStateSchema } from '../schemas.js';

/** SOL 005 clause 9.5.2.2 CreateVnfPkgInfoRequest. */
export const createVnfPkgInfoRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { userDefinedData: keyValuePairsSchema },
} as const;

/** SOL 005 clause 9.5.2.3 VnfPkgInfoModifications: at least one of the two. */
export const vnfPkgInfoModificationsSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { operationalState: operationalStateSchema, userDefinedData: keyValuePairsSchema },
} as const;

/** SOL 005 clause 9.5.2.8 UploadVnfPkgFromUriRequest. */
export const uploadVnfPkgFromUriRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['addressInformation'],
  properties: {
    addressInformation: { type: 'string', minLength: 1, maxLength: 2048 },
    userName: { type: 'string', minLength: 1, maxLength: 255 },
    password: { type: 'string', maxLength: 255 },
  },
} as const;

export interface CreateVnfPkgInfoRequest {
  userDefinedData?: Record<string, unknown>;
}

export interface VnfPkgInfoModifications {
  operationalState?: 'ENABLED' | 'DISABLED';
  userDefinedData?: Record<string, unknown>;
}

export interface UploadVnfPkgFromUriRequest {
  addressInformation: string;
  userName?: string;
  password?: string;
}
