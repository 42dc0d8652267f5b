/** VNFM: the ETSI NFV-SOL 003 VNF lifecycle management API and VNF lifecycle, with grants from the NFVO. */
import type { FastifyInstance } from 'fastify';
import { VnfPackageCatalogue, type OnboardedDescriptors } from '../nfvo/index.js';
import { NotificationOutbox, registerEtsiApi, type PlatformServices, type ProductModule } from '../platform/index.js';
import type { VimServices } from '../vim/index.js';
import { VNF_INSTANCES, type VnfInstance } from './instances/model.js';
import { VnfInstanceService, vnfInstanceRoutes } from './instances/routes.js';
import { VnfLifecycle, type GrantProvider } from './lifecycle/lifecycle.js';
import { vnfLifecycleRoutes } from './lifecycle/routes.js';
import { VNF_LCM_V1, VNF_LCM_V2 } from './api-versions.js';
import { registerVnfLcmSubscriptionRoutes, VNF_LCM_NOTIFICATIONS_CHANNEL, VnfLcmNotifiers } from './subscriptions/index.js';

export { VNF_INSTANCES, VNF_INSTANCES_PATH, vnfInstanceView, type VnfInstance, type VnfInstanceView } from './instances/model.js';
export { VnfInstanceService, type CreateVnfRequest } from './instances/routes.js';
export { VnfLifecycle, VNF_LCM_OP_OCCS_COLLECTION, type GrantProvider, type VnfLcmInput, type VnfLcmOperationType } from './lifecycle/lifecycle.js';
export type { InstantiatedVnf, VnfcPortRecord, VnfcRecord, VnfVirtualLinkRecord } from './lifecycle/model.js';
export { lcmOperationState, vnfLcmOpOccView, VNF_LCM_OP_OCCS_PATH, type LcmOperationState, type VnfLcmOpOccView } from './lifecycle/op-occs.js';
export { VnfLcmNotifications, VNF_LCM_SUBSCRIPTIONS_PATH } from './subscriptions/index.js';
export type {
  ChangeExtVnfConnectivityRequest,
  ChangeVnfFlavourRequest,
  ExtManagedVirtualLinkData,
  ExtVirtualLinkData,
  HealVnfRequest,
  InstantiateVnfRequest,
  ScaleVnfRequest,
  TerminateVnfRequest,
} from './lifecycle/requests.js';

export { VNF_LCM_V1, VNF_LCM_V2, VNF_LIFECYCLE_MANAGEMENT_API, VNF_LIFECYCLE_MANAGEMENT_API_V2, type VnfLcmApiVersion } from './api-versions.js';
export { vnfInstanceViewV2, type VnfInstanceViewV2 } from './instances/view-v2.js';

/** What the NFVO drives the VNFM through (Or-Vnfm, as plain calls in one process). */
export interface VnfManager {
  instances: VnfInstanceService;
  lifecycle: VnfLifecycle;
}

export interface VnfmModule extends ProductModule {
  /** Available once the APIs are registered; throws before. */
  manager(): VnfManager;
}

export function createVnfmModule(dependencies: { grants: () => GrantProvider; vim: () => VimServices; descriptors: () => OnboardedDescriptors }): VnfmModule {
  let manager: VnfManager | undefined;
  let notifications: VnfLcmNotifiers | undefined;
  return {
    name: 'vnfm',
    manager() {
      if (!manager) throw new Error('the VNFM has not registered its APIs yet');
      return manager;
    },
    async registerApis(app: FastifyInstance, { config, store, logger }: PlatformServices) {
      const log = logger.child({ module: 'vnfm' });
      const lcmNotifications = new VnfLcmNotifiers(store, new NotificationOutbox(store, log, VNF_LCM_NOTIFICATIONS_CHANNEL), log);
      notifications = lcmNotifications;
      const instances = new VnfInstanceService(store.collection<VnfInstance>(VNF_INSTANCES), new VnfPackageCatalogue(store), lcmNotifications);
      const lifecycle = new VnfLifecycle({
        store,
        logger: log,
        instances: instances.instances,
        descriptors: dependencies.descriptors,
        grants: dependencies.grants,
        vim: dependencies.vim,
        leaseMs: config.operations.leaseMs,
      });
      manager = { instances, lifecycle };
      lcmNotifications.attach(lifecycle.engine, async (id) => (await instances.instances.get(id))?.value);
      // v1 and v2 serve the same instances and occurrences, each in its own shapes (api-versions.ts).
      await registerEtsiApi(
        app,
        [VNF_LCM_V1, VNF_LCM_V2].map((version) => ({
          api: version.api,
          routes: async (scope: FastifyInstance) => {
            await scope.register(vnfInstanceRoutes({ service: instances, pageSize: config.pageSize, version }));
            await scope.register(vnfLifecycleRoutes({ service: instances, lifecycle, pageSize: config.pageSize, version }));
            await scope.register(registerVnfLcmSubscriptionRoutes({ store, notifications: lcmNotifications.of(version), pageSize: config.pageSize }));
          },
        })),
      );
    },
    async start() {
      notifications?.outbox.start();
      await manager?.lifecycle.recover();
      await notifications?.catchUp();
    },
    async stop() {
      await manager?.lifecycle.close();
      notifications?.detach();
      await notifications?.idle();
      await notifications?.outbox.stop();
    },
  };
}
