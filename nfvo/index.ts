/**
 * NFVO: the ETSI NFV-SOL 005 northbound (VNF package management, NSD management, NS lifecycle, operation
 * occurrences, subscriptions and notifications) and the NS orchestration behind it.
 */
import type { FastifyInstance } from 'fastify';
import { registerEtsiApi, type EtsiApi, type ProductModule } from '../platform/index.js';

export const VNF_PACKAGE_MANAGEMENT_API: EtsiApi = { name: 'vnfpkgm', majorVersion: 1, version: '2.1.0', title: 'SOL 005 VNF package management' };
export const NSD_MANAGEMENT_API: EtsiApi = { name: 'nsd', majorVersion: 1, version: '2.1.0', title: 'SOL 005 NSD management' };
export const NS_LIFECYCLE_MANAGEMENT_API: EtsiApi = { name: 'nslcm', majorVersion: 1, version: '2.1.0', title: 'SOL 005 NS lifecycle management' };

export function createNfvoModule(): ProductModule {
  return {
    name: 'nfvo',
    async registerApis(app: FastifyInstance) {
      for (const api of [VNF_PACKAGE_MANAGEMENT_API, NSD_MANAGEMENT_API, NS_LIFECYCLE_MANAGEMENT_API]) {
        await registerEtsiApi(app, api, async () => {});
      }
    },
  };
}
