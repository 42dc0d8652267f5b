/**
 * NFVO: the ETSI NFV-SOL 005 northbound (VNF package management, NSD management, NS lifecycle, operation
 * occurrences, subscriptions and notifications) and the NS orchestration behind it.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotificationOutbox, registerEtsiApi, type EtsiApi, type PlatformServices, type ProductModule } from '../platform/index.js';
import type { VimServices } from '../vim/index.js';
import { BackgroundWork } from './background.js';
import type { SteeredChains } from '../sfc/index.js';
import type { VnfManager } from '../vnfm/index.js';
import { Grants } from './grants/grants.js';
import { GRANT_API, grantRoutes } from './grants/routes.js';
import { NsLifecycle } from './nslcm/lifecycle.js';
import { NS_INSTANCES, type NsInstance } from './nslcm/model.js';
import { nsLifecycleRoutes } from './nslcm/routes.js';
import { NS_LCM_NOTIFICATIONS_CHANNEL, NsLcmNotifications, nsLcmSubscriptionRoutes } from './nslcm/subscriptions/index.js';
import { OnboardedDescriptors } from './onboarded-descriptors.js';
import { ContentFiles } from './content-files.js';
import { NsdCatalogue } from './nsd/catalogue.js';
import { NsdOnboarding } from './nsd/onboarding.js';
import { nsdRoutes } from './nsd/routes.js';
import { VnfPackageCatalogue } from './packages/catalogue.js';
import { VnfPackageOnboarding } from './packages/onboarding.js';
import { vnfPackageRoutes } from './packages/routes.js';
import { PackageNotifications } from './subscriptions/notifications.js';
import { pkgmSubscriptionRoutes } from './subscriptions/routes.js';

export { NsdCatalogue } from './nsd/catalogue.js';
export { GrantRefusedError, Grants } from './grants/grants.js';
export { GRANTS, VIM_CONNECTION, VIM_CONNECTION_ID, type Grant, type GrantInfo, type GrantRequest, type GrantedLcmOperationType, type PlacementConstraint, type ResourceDefinition } from './grants/model.js';
export { NsLifecycle } from './nslcm/lifecycle.js';
export { NS_INSTANCES, NS_INSTANCES_PATH, NS_LCM_OP_OCCS_PATH, type NsInstance } from './nslcm/model.js';
export { OnboardedDescriptors, type OnboardedNsd, type OnboardedVnfPackage } from './onboarded-descriptors.js';
export type { NsdInfo, NsDescriptor } from './nsd/model.js';
export { VnfPackageCatalogue } from './packages/catalogue.js';
export type { VnfPackage, VnfPkgInfo } from './packages/model.js';
export type { UsageChange } from './stored-changes.js';

export const VNF_PACKAGE_MANAGEMENT_API: EtsiApi = { name: 'vnfpkgm', majorVersion: 1, version: '2.1.0', title: 'SOL 005 VNF package management' };
export const NSD_MANAGEMENT_API: EtsiApi = { name: 'nsd', majorVersion: 1, version: '2.1.0', title: 'SOL 005 NSD management' };
export const NS_LIFECYCLE_MANAGEMENT_API: EtsiApi = { name: 'nslcm', majorVersion: 1, version: '2.1.0', title: 'SOL 005 NS lifecycle management' };

/** The outbox channel of VNF package notifications. */
export const VNF_PACKAGE_NOTIFICATIONS_CHANNEL = 'vnfpkgm';

interface Running {
  outbox: NotificationOutbox;
  background: BackgroundWork;
  resume(): void;
}

/**
 * The NS lifecycle (to come) marks what its instances use through `VnfPackageCatalogue.markUsage` and
 * `NsdCatalogue.markUsage`: SOL 005's usage states follow those marks.
 */
export interface NfvoModule extends ProductModule {
  /** The NFVO's side of the Grant interface; available once the APIs are registered. */
  grants(): Grants;
  /** The NS lifecycle; available once the APIs are registered. */
  nsLifecycle(): NsLifecycle;
  /** The parsed descriptors of onboarded packages and NSDs (the VNFM reads VNFDs through them). */
  descriptors(): OnboardedDescriptors;
}

export function createNfvoModule(dependencies: { vim: () => VimServices; vnfm: () => VnfManager; chains: () => SteeredChains }): NfvoModule {
  let running: Running | undefined;
  let grants: Grants | undefined;
  let nsLifecycle: NsLifecycle | undefined;
  let descriptors: OnboardedDescriptors | undefined;
  let nsLcmNotifications: NsLcmNotifications | undefined;
  return {
    name: 'nfvo',
    grants() {
      if (!grants) throw new Error('the NFVO has not registered its APIs yet');
      return grants;
    },
    descriptors() {
      if (!descriptors) throw new Error('the NFVO has not registered its APIs yet');
      return descriptors;
    },
    nsLifecycle() {
      if (!nsLifecycle) throw new Error('the NFVO has not registered its APIs yet');
      return nsLifecycle;
    },
    async registerApis(app: FastifyInstance, { config, store, logger }: PlatformServices) {
      const log = logger.child({ module: 'nfvo' });
      const onboarded = new OnboardedDescriptors(store, config.dataDir);
      descriptors = onboarded;
      grants = new Grants(store, onboarded, dependencies.vim, log);
      const nsInstances = store.collection<NsInstance>(NS_INSTANCES);
      nsLifecycle = new NsLifecycle({ store, logger: log, instances: nsInstances, descriptors: onboarded, vnfm: dependencies.vnfm, vim: dependencies.vim, chains: dependencies.chains, leaseMs: config.operations.leaseMs });
      const background = new BackgroundWork(log);
      nsLcmNotifications = new NsLcmNotifications(store, new NotificationOutbox(store, log, NS_LCM_NOTIFICATIONS_CHANNEL), log, {
        vnfProfilesOf: async (instance) =>
          (await onboarded.nsd(instance.tenantId, instance.nsdInfoId))?.descriptor.vnfProfiles.map((profile) => ({ vnfProfileId: profile.profileId, vnfdId: profile.vnfdId })),
      });
      nsLcmNotifications.attach(nsLifecycle.engine, async (id) => (await nsInstances.get(id))?.value);
      const lcmNotifications = nsLcmNotifications;
      const outbox = new NotificationOutbox(store, log, VNF_PACKAGE_NOTIFICATIONS_CHANNEL);
      const notifications = new PackageNotifications(store, outbox);
      const packageFiles = new ContentFiles(path.join(config.dataDir, 'packages'));
      const nsdFiles = new ContentFiles(path.join(config.dataDir, 'nsds'));
      const vnfPackages = new VnfPackageCatalogue(store);
      const onboarding = new VnfPackageOnboarding(store, vnfPackages, packageFiles, notifications, background, log);
      const nsds = new NsdCatalogue(store);
      const nsdOnboarding = new NsdOnboarding(store, nsds, vnfPackages, nsdFiles, background, log);

      // Before the API serves anything: an upload in flight now can only be one the last run left unfinished.
      const packagesToResume = await onboarding.recover();
      const nsdsToResume = await nsdOnboarding.recover();
      running = {
        outbox,
        background,
        resume: () => {
          onboarding.resume(packagesToResume);
          nsdOnboarding.resume(nsdsToResume);
        },
      };

      await registerEtsiApi(app, VNF_PACKAGE_MANAGEMENT_API, async (scope) => {
        await scope.register(vnfPackageRoutes({ store, catalogue: vnfPackages, onboarding, notifications, files: packageFiles, pageSize: config.pageSize }));
        await scope.register(pkgmSubscriptionRoutes(store, notifications, config.pageSize));
      });
      await registerEtsiApi(app, GRANT_API, grantRoutes(grants));
      await registerEtsiApi(app, NSD_MANAGEMENT_API, nsdRoutes(store, nsds, nsdOnboarding, nsdFiles, config.pageSize));
      const lifecycle = nsLifecycle;
      await registerEtsiApi(app, NS_LIFECYCLE_MANAGEMENT_API, async (scope) => {
        await scope.register(nsLifecycleRoutes({ instances: nsInstances, nsds, lifecycle, vnfm: dependencies.vnfm, notifications: lcmNotifications, pageSize: config.pageSize }));
        await scope.register(nsLcmSubscriptionRoutes({ store, notifications: lcmNotifications, pageSize: config.pageSize }));
      });
    },
    async start() {
      running?.outbox.start();
      nsLcmNotifications?.outbox.start();
      running?.resume();
      await nsLifecycle?.recover();
      await nsLcmNotifications?.catchUp();
    },
    async stop() {
      await nsLifecycle?.close();
      nsLcmNotifications?.detach();
      await nsLcmNotifications?.idle();
      await nsLcmNotifications?.outbox.stop();
      await running?.background.drain();
      await running?.outbox.stop();
    },
  };
}
