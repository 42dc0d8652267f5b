import { MongoClient, MongoServerError, type ClientSession, type Collection, type Db, type Filter } from 'mongodb';
import {
  checkCollectionSpec,
  checkQueryFields,
  repositoryOver,
  StoreConflictError,
  type CollectionSpec,
  type Entity,
  type QueryOptions,
  type Repository,
  type Store,
  type Versioned,
  type Write,
} from './contract.js';

/** How a document sits in MongoDB: the entity under `body`, so indexed paths are `body.<field>`. */
interface MongoDocument {
  _id: string;
  tenantId: string;
  revision: number;
  body: Entity;
}

const DUPLICATE_KEY = 11000;

/**
 * The MongoDB backend (selected by NFV_MONGO_URL). A single write is one conditional `updateOne` /
 * `insertOne` / `deleteOne`; a batch of several writes runs in a multi-document transaction, which MongoDB
 * only offers on a replica set (a one-node replica set is enough), as DESIGN.md's scale-out plan assumes.
 */
export class MongoStore implements Store {
  readonly backend = 'mongodb' as const;
  private readonly indexed = new Map<string, Promise<void>>();

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  static async connect(url: string): Promise<MongoStore> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    return new MongoStore(client, client.db());
  }

  collection<T extends Entity>(spec: CollectionSpec): Repository<T> {
    checkCollectionSpec(spec);
    return repositoryOver<T>(this, spec, {
      get: async (id, tenantId) => {
        await this.ensureIndexed(spec);
        const found = await this.mongoCollection(spec).findOne({ _id: id });
        if (!found || (tenantId !== undefined && found.tenantId !== tenantId)) return undefined;
        return { value: found.body as T, revision: found.revision };
      },
      query: async (options) => this.query<T>(spec, options),
    });
  }

  async commit(writes: readonly Write[]): Promise<number[]> {
    await Promise.all(writes.map((write) => this.ensureIndexed(write.collection)));
    if (writes.length <= 1) return Promise.all(writes.map((write) => this.apply(write, undefined)));
    const session = this.client.startSession();
    try {
      let revisions: number[] = [];
      await session.withTransaction(async () => {
        revisions = [];
        for (const write of writes) revisions.push(await this.apply(write, session));
      });
      return revisions;
    } finally {
      await session.endSession();
    }
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private mongoCollection(spec: CollectionSpec): Collection<MongoDocument> {
    return this.db.collection<MongoDocument>(spec.name);
  }

  private ensureIndexed(spec: CollectionSpec): Promise<void> {
    let done = this.indexed.get(spec.name);
    if (!done) {
      const collection = this.mongoCollection(spec);
      done = Promise.all([
        collection.createIndex({ tenantId: 1, _id: 1 }),
        ...spec.indexes.map((field) => collection.createIndex({ [`body.${field}`]: 1, _id: 1 })),
      ]).then(() => undefined);
      done.catch(() => this.indexed.delete(spec.name));
      this.indexed.set(spec.name, done);
    }
    return done;
  }

  private async query<T>(spec: CollectionSpec, options: QueryOptions = {}): Promise<Versioned<T>[]> {
    checkQueryFields(spec, options.where);
    await this.ensureIndexed(spec);
    const filter: Record<string, unknown> = {};
    if (options.tenantId !== undefined) filter.tenantId = options.tenantId;
    for (const [field, value] of Object.entries(options.where ?? {})) filter[`body.${field}`] = value;
    if (options.after !== undefined) filter._id = { $gt: options.after };
    let cursor = this.mongoCollection(spec).find(filter as Filter<MongoDocument>).sort({ _id: 1 });
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    const found = await cursor.toArray();
    return found.map((document) => ({ value: document.body as T, revision: document.revision }));
  }

  private async apply(write: Write, session: ClientSession | undefined): Promise<number> {
    const collection = this.mongoCollection(write.collection);
    const name = write.collection.name;
    switch (write.kind) {
      case 'insert': {
        try {
          await collection.insertOne(
            { _id: write.doc.id, tenantId: write.doc.tenantId, revision: 1, body: write.doc },
            { session },
          );
        } catch (error) {
          if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) {
            throw new StoreConflictError('duplicate-id', name, write.doc.id);
          }
          throw error;
        }
        return 1;
      }
      case 'update': {
        const result = await collection.updateOne(
          { _id: write.doc.id, revision: write.expectedRevision },
          { $set: { tenantId: write.doc.tenantId, body: write.doc, revision: write.expectedRevision + 1 } },
          { session },
        );
        if (result.matchedCount === 0) throw await this.conflict(collection, name, write.doc.id, write.expectedRevision, session);
        return write.expectedRevision + 1;
      }
      case 'delete': {
        const filter: Filter<MongoDocument> = { _id: write.id };
        if (write.expectedRevision !== undefined) filter.revision = write.expectedRevision;
        const result = await collection.deleteOne(filter, { session });
        if (result.deletedCount === 0) throw await this.conflict(collection, name, write.id, write.expectedRevision, session);
        return 0;
      }
    }
  }

  private async conflict(
    collection: Collection<MongoDocument>,
    name: string,
    id: string,
    expectedRevision: number | undefined,
    session: ClientSession | undefined,
  ): Promise<StoreConflictError> {
    const current = await collection.findOne({ _id: id }, { session, projection: { revision: 1 } });
    if (!current) return new StoreConflictError('missing', name, id, expectedRevision);
    return new StoreConflictError('stale-revision', name, id, expectedRevision, current.revision);
  }
}
