import { changeStored, type Entity, type Repository } from '../platform/index.js';

export { changeStored };

export type UsageChange = { ok: true } | { ok: false; reason: 'not-found' | 'not-onboarded' };

/**
 * Records (or drops) one user (an NS or VNF instance) of a package or descriptor, whose SOL 005 usage state is
 * IN_USE while any user is left. Only an onboarded one can gain users.
 */
export async function markUsedBy<T extends Entity & { usedBy: string[] }>(
  repository: Repository<T>,
  tenantId: string,
  id: string,
  userId: string,
  inUse: boolean,
  isOnboarded: (doc: T) => boolean,
): Promise<UsageChange> {
  let refused = false;
  const changed = await changeStored(
    repository,
    id,
    (doc) => {
      const others = doc.usedBy.filter((user) => user !== userId);
      if (inUse && !isOnboarded(doc)) {
        refused = true;
        return undefined;
      }
      return { ...doc, usedBy: inUse ? [...others, userId] : others };
    },
    tenantId,
  );
  if (refused) return { ok: false, reason: 'not-onboarded' };
  return changed ? { ok: true } : { ok: false, reason: 'not-found' };
}
