import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import {
  checkCollectionSpec,
  checkQueryFields,
  indexEntries,
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

/**
 * The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit is on disk (fsync'd)
 * before `commit` returns and a kill -9 loses nothing that was acknowledged.
 *
 * Documents live as JSON in one table; indexed fields are copied into `document_index` (one row per scalar
 * value, so array fields match any element). Every commit runs in a `BEGIN IMMEDIATE` transaction, which
 * also serializes writers that open the same file from other connections or processes.
 */
export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly knownCollections = new Map<string, string>();
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS documents (
        collection TEXT NOT NULL, id TEXT NOT NULL, tenant_id TEXT NOT NULL,
        revision INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (collection, id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS document_index (
        collection TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL,
        PRIMARY KEY (collection, field, value, id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS document_index_by_document ON document_index (collection, id);
      CREATE TABLE IF NOT EXISTS collection_indexes (collection TEXT PRIMARY KEY, fields TEXT NOT NULL);
    `);
  }

  collection<T extends Entity>(spec: CollectionSpec): Repository<T> {
    checkCollectionSpec(spec);
    this.ensureIndexed(spec);
    return repositoryOver<T>(this, spec, {
      get: async (id, tenantId) => this.get<T>(spec, id, tenantId),
      query: async (options) => this.query<T>(spec, options),
    });
  }

  async commit(writes: readonly Write[]): Promise<number[]> {
    return this.db.transaction(() => writes.map((write) => this.apply(write))).immediate();
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private get<T>(spec: CollectionSpec, id: string, tenantId?: string): Versioned<T> | undefined {
    const row = this.statement('SELECT tenant_id, revision, body FROM documents WHERE collection = ? AND id = ?')
      .get(spec.name, id) as { tenant_id: string; revision: number; body: string } | undefined;
    if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) return undefined;
    return { value: JSON.parse(row.body) as T, revision: row.revision };
  }

  private query<T>(spec: CollectionSpec, options: QueryOptions = {}): Versioned<T>[] {
    checkQueryFields(spec, options.where);
    const clauses = ['d.collection = ?'];
    const params: unknown[] = [spec.name];
    if (options.tenantId !== undefined) {
      clauses.push('d.tenant_id = ?');
      params.push(options.tenantId);
    }
    for (const [field, value] of Object.entries(options.where ?? {})) {
      clauses.push(
        'EXISTS (SELECT 1 FROM document_index i WHERE i.collection = d.collection AND i.field = ? AND i.value = ? AND i.id = d.id)',
      );
      params.push(field, JSON.stringify(value));
    }
    if (options.after !== undefined) {
      clauses.push('d.id > ?');
      params.push(options.after);
    }
    let sql = `SELECT revision, body FROM documents d WHERE ${clauses.join(' AND ')} ORDER BY d.id`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    const rows = this.statement(sql).all(...params) as Array<{ revision: number; body: string }>;
    return rows.map((row) => ({ value: JSON.parse(row.body) as T, revision: row.revision }));
  }

  private apply(write: Write): number {
    const collection = write.collection.name;
    const id = write.kind === 'delete' ? write.id : write.doc.id;
    const current = this.statement('SELECT revision FROM documents WHERE collection = ? AND id = ?')
      .get(collection, id) as { revision: number } | undefined;
    switch (write.kind) {
      case 'insert': {
        if (current) throw new StoreConflictError('duplicate-id', collection, id);
        this.statement('INSERT INTO documents (collection, id, tenant_id, revision, body) VALUES (?, ?, ?, 1, ?)')
          .run(collection, id, write.doc.tenantId, JSON.stringify(write.doc));
        this.writeIndex(write.collection, write.doc);
        return 1;
      }
      case 'update': {
        if (!current) throw new StoreConflictError('missing', collection, id, write.expectedRevision);
        if (current.revision !== write.expectedRevision) {
          throw new StoreConflictError('stale-revision', collection, id, write.expectedRevision, current.revision);
        }
        const revision = current.revision + 1;
        this.statement('UPDATE documents SET tenant_id = ?, revision = ?, body = ? WHERE collection = ? AND id = ?')
          .run(write.doc.tenantId, revision, JSON.stringify(write.doc), collection, id);
        this.writeIndex(write.collection, write.doc);
        return revision;
      }
      case 'delete': {
        if (!current) throw new StoreConflictError('missing', collection, id, write.expectedRevision);
        if (write.expectedRevision !== undefined && current.revision !== write.expectedRevision) {
          throw new StoreConflictError('stale-revision', collection, id, write.expectedRevision, current.revision);
        }
        this.statement('DELETE FROM documents WHERE collection = ? AND id = ?').run(collection, id);
        this.statement('DELETE FROM document_index WHERE collection = ? AND id = ?').run(collection, id);
        return 0;
      }
    }
  }

  private writeIndex(spec: CollectionSpec, doc: Entity): void {
    this.statement('DELETE FROM document_index WHERE collection = ? AND id = ?').run(spec.name, doc.id);
    const insert = this.statement('INSERT OR IGNORE INTO document_index (collection, field, value, id) VALUES (?, ?, ?, ?)');
    for (const [field, value] of indexEntries(spec, doc)) insert.run(spec.name, field, JSON.stringify(value), doc.id);
  }

  /** A collection whose declared indexes changed since the file was written gets its index rows rebuilt. */
  private ensureIndexed(spec: CollectionSpec): void {
    const fields = JSON.stringify([...spec.indexes].sort());
    if (this.knownCollections.get(spec.name) === fields) return;
    this.db
      .transaction(() => {
        const stored = this.statement('SELECT fields FROM collection_indexes WHERE collection = ?').get(spec.name) as
          | { fields: string }
          | undefined;
        if (stored?.fields === fields) return;
        this.statement('DELETE FROM document_index WHERE collection = ?').run(spec.name);
        const rows = this.statement('SELECT body FROM documents WHERE collection = ?').all(spec.name) as Array<{ body: string }>;
        for (const row of rows) this.writeIndex(spec, JSON.parse(row.body) as Entity);
        this.statement('INSERT INTO collection_indexes (collection, fields) VALUES (?, ?) ON CONFLICT (collection) DO UPDATE SET fields = excluded.fields')
          .run(spec.name, fields);
      })
      .immediate();
    this.knownCollections.set(spec.name, fields);
  }
}
