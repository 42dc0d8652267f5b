/**
 * The one repository contract every context stores its state through. Two backends implement it: an
 * embedded SQLite file (the default) and MongoDB. Both are held to the same contract test suite.
 *
 * Concurrency is optimistic: every document carries a revision that the store increments on each write, and
 * a write names the revision it expects. A stale write is refused with `StoreConflictError`, never lost.
 * `Store.commit` applies several such writes atomically (all or none), which is what resource claims need:
 * "claim these CPUs on host H at revision 7 and record the reservation" either happens whole or not at all.
 */

/** Every stored document has an id and belongs to a tenant. */
export interface Entity {
  id: string;
  tenantId: string;
}

export interface Versioned<T> {
  value: T;
  /** Starts at 1 on insert and grows by one on every update. */
  revision: number;
}

export type IndexValue = string | number | boolean;

export interface CollectionSpec {
  /** Lower-case letters, digits and underscores. */
  name: string;
  /**
   * Field paths (dot separated, e.g. `vnfdId` or `instantiatedVnfInfo.flavourId`) that `query` can match on.
   * An array-valued field matches when any of its elements equals the value.
   */
  indexes: readonly string[];
}

export interface QueryOptions {
  /** Only documents of this tenant; leave undefined for all tenants (the admin view). */
  tenantId?: string | undefined;
  /** Equality on indexed fields, all of which must hold. */
  where?: Readonly<Record<string, IndexValue>>;
  /** Documents are returned in id order; `after` continues past this id (keyset paging). */
  after?: string | undefined;
  limit?: number | undefined;
}

export type Write =
  | { kind: 'insert'; collection: CollectionSpec; doc: Entity }
  | { kind: 'update'; collection: CollectionSpec; doc: Entity; expectedRevision: number }
  | { kind: 'delete'; collection: CollectionSpec; id: string; expectedRevision: number | undefined };

export interface Repository<T extends Entity> {
  readonly spec: CollectionSpec;
  /** With a tenant id, a document of another tenant reads as absent. */
  get(id: string, tenantId?: string): Promise<Versioned<T> | undefined>;
  insert(doc: T): Promise<Versioned<T>>;
  update(doc: T, expectedRevision: number): Promise<Versioned<T>>;
  /** Without an expected revision the delete is unconditional. Answers whether a document was removed. */
  delete(id: string, expectedRevision?: number): Promise<boolean>;
  query(options?: QueryOptions): Promise<Versioned<T>[]>;
  /** Write descriptions for `Store.commit`. */
  insertWrite(doc: T): Write;
  updateWrite(doc: T, expectedRevision: number): Write;
  deleteWrite(id: string, expectedRevision?: number): Write;
}

export interface Store {
  readonly backend: 'sqlite' | 'mongodb';
  collection<T extends Entity>(spec: CollectionSpec): Repository<T>;
  /**
   * Applies the writes atomically: either every one of them or none. Answers the new revision of each write
   * in order (0 for deletes). Refuses the whole batch with `StoreConflictError` when any one is stale.
   */
  commit(writes: readonly Write[]): Promise<number[]>;
  /** Throws when the backend cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type ConflictReason = 'stale-revision' | 'duplicate-id' | 'missing';

/** A write refused because another writer got there first (or the document is gone). Safe to re-read and retry. */
export class StoreConflictError extends Error {
  constructor(
    readonly reason: ConflictReason,
    readonly collection: string,
    readonly id: string,
    readonly expectedRevision?: number,
    readonly actualRevision?: number,
  ) {
    super(describeConflict(reason, collection, id, expectedRevision, actualRevision));
    this.name = 'StoreConflictError';
  }
}

function describeConflict(
  reason: ConflictReason,
  collection: string,
  id: string,
  expected?: number,
  actual?: number,
): string {
  switch (reason) {
    case 'duplicate-id':
      return `${collection}/${id} already exists`;
    case 'missing':
      return `${collection}/${id} does not exist`;
    case 'stale-revision':
      return `${collection}/${id} is at revision ${actual}, not ${expected}: it was changed concurrently`;
  }
}

const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function checkCollectionSpec(spec: CollectionSpec): void {
  if (!COLLECTION_NAME.test(spec.name)) throw new Error(`collection name "${spec.name}" is not [a-z][a-z0-9_]*`);
  for (const field of spec.indexes) {
    if (!FIELD_PATH.test(field)) throw new Error(`index "${field}" of ${spec.name} is not a dotted field path`);
  }
}

export function checkQueryFields(spec: CollectionSpec, where: Readonly<Record<string, IndexValue>> | undefined): void {
  for (const field of Object.keys(where ?? {})) {
    if (!spec.indexes.includes(field)) throw new Error(`${spec.name} has no index on "${field}"`);
  }
}

/** The index entries of a document: each indexed field with each scalar value found at its path. */
export function indexEntries(spec: CollectionSpec, doc: Entity): Array<[field: string, value: IndexValue]> {
  const entries: Array<[string, IndexValue]> = [];
  for (const field of spec.indexes) {
    for (const value of valuesAtPath(doc, field.split('.'))) entries.push([field, value]);
  }
  return entries;
}

function valuesAtPath(node: unknown, path: readonly string[]): IndexValue[] {
  if (Array.isArray(node)) return node.flatMap((element) => valuesAtPath(element, path));
  if (path.length === 0) {
    return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean' ? [node] : [];
  }
  if (node === null || typeof node !== 'object') return [];
  const [head, ...rest] = path;
  return valuesAtPath((node as Record<string, unknown>)[head as string], rest);
}

/** Builds the repository methods that only describe writes and delegate to `commit`. */
export function repositoryOver<T extends Entity>(
  store: Store,
  spec: CollectionSpec,
  reads: Pick<Repository<T>, 'get' | 'query'>,
): Repository<T> {
  const insertWrite = (doc: T): Write => ({ kind: 'insert', collection: spec, doc });
  const updateWrite = (doc: T, expectedRevision: number): Write => ({ kind: 'update', collection: spec, doc, expectedRevision });
  const deleteWrite = (id: string, expectedRevision?: number): Write => ({ kind: 'delete', collection: spec, id, expectedRevision });
  return {
    spec,
    get: reads.get,
    query: reads.query,
    insertWrite,
    updateWrite,
    deleteWrite,
    async insert(doc) {
      const [revision = 1] = await store.commit([insertWrite(doc)]);
      return { value: doc, revision };
    },
    async update(doc, expectedRevision) {
      const [revision = expectedRevision + 1] = await store.commit([updateWrite(doc, expectedRevision)]);
      return { value: doc, revision };
    },
    async delete(id, expectedRevision) {
      try {
        await store.commit([deleteWrite(id, expectedRevision)]);
        return true;
      } catch (error) {
        if (error instanceof StoreConflictError && error.reason === 'missing' && expectedRevision === undefined) return false;
        throw error;
      }
    },
  };
}
