import type { CollectionSpec, Entity, Repository, Store, Versioned } from '../../platform/index.js';
import { markUsedBy, type UsageChange } from '../stored-changes.js';
import type { VnfPackage } from './model.js';

export const VNF_PACKAGES: CollectionSpec = { name: 'vnf_packages', indexes: ['vnfdId', 'onboardingState'] };

/**
 * One document per (tenant, vnfdId) that is onboarded, inserted in the same commit that onboards the package:
 * the store's unique ids make "vnfdId unique among a tenant's onboarded packages" hold under concurrency.
 */
export interface OnboardedVnfd extends Entity {
  vnfdId: string;
  vnfPkgId: string;
}

export const ONBOARDED_VNFDS: CollectionSpec = { name: 'onboarded_vnfds', indexes: ['vnfPkgId'] };

export function onboardedVnfdKey(tenantId: string, vnfdId: string): string {
  return `${tenantId}/${vnfdId}`;
}

/** The stored VNF packages, and the seam other parts of the NFVO use to find and mark them. */
export class VnfPackageCatalogue {
  readonly packages: Repository<VnfPackage>;
  readonly onboardedVnfds: Repository<OnboardedVnfd>;

  constructor(store: Store) {
    this.packages = store.collection<VnfPackage>(VNF_PACKAGES);
    this.onboardedVnfds = store.collection<OnboardedVnfd>(ONBOARDED_VNFDS);
  }

  /** The onboarded packages holding a VNFD, within one tenant or (undefined) across all. */
  async onboardedByVnfdId(vnfdId: string, tenantId: string | undefined): Promise<Array<Versioned<VnfPackage>>> {
    return this.packages.query({ tenantId, where: { vnfdId, onboardingState: 'ONBOARDED' } });
  }

  /** The onboarded package of a tenant that holds a VNFD, if any. */
  async onboardedInTenant(tenantId: string, vnfdId: string): Promise<Versioned<VnfPackage> | undefined> {
    const claim = await this.onboardedVnfds.get(onboardedVnfdKey(tenantId, vnfdId));
    if (!claim) return undefined;
    const pkg = await this.packages.get(claim.value.vnfPkgId, tenantId);
    return pkg?.value.onboardingState === 'ONBOARDED' ? pkg : undefined;
  }

  /** Marks a package as used (or no longer used) by an NS or VNF instance. */
  async markUsage(tenantId: string, vnfPkgId: string, userId: string, inUse: boolean): Promise<UsageChange> {
    return markUsedBy(this.packages, tenantId, vnfPkgId, userId, inUse, (pkg) => pkg.onboardingState === 'ONBOARDED');
  }
}
