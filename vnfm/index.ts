/** VNFM: the ETSI NFV-SOL 003 VNF lifecycle management API and VNF lifecycle, with grants from the NFVO. */
import type { FastifyInstance } from 'fastify';
import { registerEtsiApi, type EtsiApi, type ProductModule } from '../platform/index.js';

export const VNF_LIFECYCLE_MANAGEMENT_API: EtsiApi = { name: 'vnflcm', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle management' };

export function createVnfmModule(): ProductModule {
  return {
    name: 'vnfm',
    async registerApis(app: FastifyInstance) {
      await registerEtsiApi(app, VNF_LIFECYCLE_MANAGEMENT_API, async () => {});
    },
  };
}
