import type { Repository, Store } from '../../platform/index.js';
import { markUsedBy, type UsageChange } from '../stored-changes.js';
import { NS_DESCRIPTORS, type NsDescriptor } from './model.js';

/** The stored NSD resources, and the seam the NS lifecycle marks their use through. */
export class NsdCatalogue {
  readonly descriptors: Repository<NsDescriptor>;

  constructor(store: Store) {
    this.descriptors = store.collection<NsDescriptor>(NS_DESCRIPTORS);
  }

  /** Marks an NSD as used (or no longer used) by an NS instance. */
  async markUsage(tenantId: string, nsdInfoId: string, userId: string, inUse: boolean): Promise<UsageChange> {
    return markUsedBy(this.descriptors, tenantId, nsdInfoId, userId, inUse, (nsd) => nsd.nsdOnboardingState === 'ONBOARDED');
  }
}
