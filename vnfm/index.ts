/** VNFM: the ETSI NFV-SOL 003 VNF lifecycle management API and VNF lifecycle, with grants from the NFVO. */
import type { FastifyInstance } from 'fastify';
import { VnfPackageCatalogue, type OnboardedDescriptors } from '../nfvo/index.js';
import { NotificationOutbox, registerEtsiApi, type EtsiApi, type PlatformServices, type ProductModule } from '../platform/index.js';
import type { VimServices } from '../vim/index.js';
import { VNF_INSTANCES, type VnfInstance } from './instances/model.js';
import { VnfInstanceService, vnfInstanceRoutes } from './instances/routes.js';
import { VnfLifecycle, type GrantProvider } from './lifecycle/lifecycle.js';
import { vnfLifecycleRoutes } from './lifecycle/routes.js';
import { registerVnfLcmSubscriptionRoutes, VNF_LCM_NOTIFICATIONS_CHANNEL, VnfLcmNotifications } from './subscriptions/index.js';

export { VNF_INSTANCES, VNF_INSTANCES_PATH, vnfInstanceView, type VnfInstance, type VnfInstanceView } from './instances/model.js';
export { VnfInstanceService, type CreateVnfRequest } from './instances/routes.js';
export { VnfLifecycle, VNF_LCM_OP_OCCS_COLLECTION, type GrantProvider, type VnfLcmInput, type VnfLcmOperationType } from './lifecycle/lifecycle.js';
export type { InstantiatedVnf, VnfcPortRecord, VnfcRecord, VnfVirtualLinkRecord } from './lifecycle/model.js';
export { lcmOperationState, vnfLcmOpOccView, VNF_LCM_OP_OCCS_PATH, type LcmOperationState, type VnfLcmOpOccView } from './lifecycle/op-occs.js';
export { VnfLcmNotifications, VNF_LCM_SUBSCRIPTIONS_PATH } from './subscriptions/index.js';
export type { ExtManagedVirtualLinkData, ExtVirtualLinkData, HealVnfRequest, InstantiateVnfRequest, ScaleVnfRequest, TerminateVnfRequest } from './lifecycle/requests.js';

export const VNF_LIFECYCLE_MANAGEMENT_API: EtsiApi = { name: 'vnflcm', majorVersion: 1, version: '1.3.0', title: 'SOL 003 VNF lifecycle management' };

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
  let notifications: VnfLcmNotifications | undefined;
  return {
    name: 'vnfm',
    manager() {
      if (!manager) throw new Error('the VNFM has not registered its APIs yet');
      return manager;
    },
    async registerApis(app: FastifyInstance, { config, store, logger }: PlatformServices) {
      const log = logger.child({ module: 'vnfm' });
      const lcmNotifications = new VnfLcmNotifications(store, new NotificationOutbox(store, log, VNF_LCM_NOTIFICATIONS_CHANNEL), log);
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
      await registerEtsiApi(app, VNF_LIFECYCLE_MANAGEMENT_API, async (scope) => {
        await scope.register(vnfInstanceRoutes({ service: instances, pageSize: config.pageSize }));
        await scope.register(vnfLifecycleRoutes({ service: instances, lifecycle, pageSize: config.pageSize }));
        await scope.register(registerVnfLcmSubscriptionRoutes({ store, notifications: lcmNotifications, pageSize: config.pageSize }));
      });
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
