/** VNFM: the ETSI NFV-SOL 003 VNF lifecycle management API and VNF lifecycle, with grants from the NFVO. */
import type { FastifyInstance } from 'fastify';
import { VnfPackageCatalogue } from '../nfvo/index.js';
import { registerEtsiApi, type EtsiApi, type PlatformServices, type ProductModule } from '../platform/index.js';
import { VNF_INSTANCES, type VnfInstance } from './instances/model.js';
import { vnfInstanceRoutes } from './instances/routes.js';

export { VNF_INSTANCES, VNF_INSTANCES_PATH, vnfInstanceView, type VnfInstance, type VnfInstanceView } from './instances/model.js';

export const VNF_LIFECYCLE_MANAGEMENT_API: EtsiApi = { name: 'vnflcm', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle management' };

export function createVnfmModule(): ProductModule {
  return {
    name: 'vnfm',
    async registerApis(app: FastifyInstance, { config, store }: PlatformServices) {
      const instances = store.collection<VnfInstance>(VNF_INSTANCES);
      const packages = new VnfPackageCatalogue(store);
      await registerEtsiApi(app, VNF_LIFECYCLE_MANAGEMENT_API, vnfInstanceRoutes({ instances, packages, pageSize: config.pageSize }));
    },
  };
}
