import { StoreConflictError, type Entity, type Repository } from './contract.js';

/**
 * Read, change, write with the revision read, and again when someone else wrote in between. `mutate` answers
 * undefined when the document (as read) needs no change. Answers whether a change was written.
 */
export async function changeStored<T extends Entity>(
  repository: Repository<T>,
  id: string,
  mutate: (doc: T) => T | undefined,
  tenantId?: string,
): Promise<boolean> {
  for (;;) {
    const found = await repository.get(id, tenantId);
    if (!found) return false;
    const next = mutate(found.value);
    if (next === undefined) return false;
    try {
      await repository.update(next, found.revision);
      return true;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
}
