/**
 * The two major versions of the SOL 003 VNF lifecycle management API this VNFM serves: v1 (API version 1.3.0,
 * SOL 003 v2.6.1) and v2 (API version 2.0.0, SOL 003 v3.3.1). Both show the same instances, lifecycle and
 * occurrences; what differs is the URI prefix, a few representations (the views take the version) and a few
 * request bodies (`requestSchema`).
 */
import { uriPrefixOf, type EtsiApi } from '../platform/index.js';
import { requestSchemaV2, type RequestBodySchema } from './lifecycle/requests-v2.js';

export interface VnfLcmApiVersion {
  api: EtsiApi;
  /** e.g. `/vnflcm/v2/vnf_instances`, from the server root. */
  instancesPath: string;
  opOccsPath: string;
  subscriptionsPath: string;
  /** A request body's schema in this version, from its version 1 schema (requests.ts). */
  requestSchema: (v1Schema: RequestBodySchema) => object;
}

function vnfLcmApiVersion(api: EtsiApi, requestSchema: VnfLcmApiVersion['requestSchema']): VnfLcmApiVersion {
  const prefix = uriPrefixOf(api);
  return { api, instancesPath: `${prefix}/vnf_instances`, opOccsPath: `${prefix}/vnf_lcm_op_occs`, subscriptionsPath: `${prefix}/subscriptions`, requestSchema };
}

export const VNF_LIFECYCLE_MANAGEMENT_API: EtsiApi = { name: 'vnflcm', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle management' };

/** SOL 013 v3 (which SOL 003 v3.3.1 follows): every request says its version. */
export const VNF_LIFECYCLE_MANAGEMENT_API_V2: EtsiApi = {
  name: 'vnflcm',
  majorVersion: 2,
  version: '2.0.0',
  title: 'SOL 003 VNF lifecycle management (v2)',
  requiresVersionHeader: true,
};

export const VNF_LCM_V1 = vnfLcmApiVersion(VNF_LIFECYCLE_MANAGEMENT_API, (schema) => schema);
export const VNF_LCM_V2 = vnfLcmApiVersion(VNF_LIFECYCLE_MANAGEMENT_API_V2, requestSchemaV2);

export function isV2(version: VnfLcmApiVersion): boolean {
  return version.api.majorVersion === 2;
}
