/**
 * The local copy of the monitored tables, fed by monitor replies and `update` / `update2` notifications.
 * Rows are immutable: a change makes a new row object, so a row a caller holds (to `verify` it later) keeps
 * the values it was read with. A notification is decoded whole before any of it is applied, so a malformed
 * one leaves the cache as it was (and the connection is then dropped and resynchronized).
 */
import { datumEquals, type Uuid } from './datum.js';
import { OvsdbProtocolError } from './errors.js';
import { isJsonObject, type Json, type JsonObject } from './jsonrpc.js';
import type { AnyTableModel, Columns, Row, TableModel } from './table.js';

export interface TableChange {
  readonly inserted: readonly Uuid[];
  readonly modified: readonly Uuid[];
  readonly deleted: readonly Uuid[];
}

/** `initial`: a new monitor; `resync`: a monitor set up again after a reconnect; `cancel`: a monitor dropped. */
export type CacheUpdateCause = 'initial' | 'update' | 'resync' | 'cancel';

export interface CacheUpdate {
  readonly cause: CacheUpdateCause;
  readonly tables: ReadonlyMap<string, TableChange>;
}

/** What callers read: the rows of the monitored tables, as typed by the table models. */
export interface OvsdbCache {
  isWatched(table: AnyTableModel): boolean;
  rows<C extends Columns>(table: TableModel<C>): readonly Row<C>[];
  /** For code that goes through several tables: their rows, with column types erased. */
  rows(table: AnyTableModel): readonly Row<Columns>[];
  get<C extends Columns>(table: TableModel<C>, uuid: Uuid): Row<C> | undefined;
  find<C extends Columns>(table: TableModel<C>, predicate: (row: Row<C>) => boolean): Row<C> | undefined;
}

/** `update` is the RFC 7047 `monitor` format (old/new rows), `update2` the `monitor_cond` one (diffs). */
export type UpdateFormat = 'update' | 'update2';

type AnyRow = Row<Columns>;

interface CachedTable {
  readonly model: AnyTableModel;
  rows: Map<Uuid, AnyRow>;
}

/** Row after the update, `undefined` when deleted. */
type StagedRows = Map<Uuid, AnyRow | undefined>;

export class MonitorCache implements OvsdbCache {
  private readonly tables = new Map<string, CachedTable>();

  isWatched(table: AnyTableModel): boolean {
    return this.tables.has(table.name);
  }

  rows<C extends Columns>(table: TableModel<C>): readonly Row<C>[];
  rows(table: AnyTableModel): readonly Row<Columns>[];
  rows(table: AnyTableModel): readonly Row<Columns>[] {
    return [...(this.tables.get(table.name)?.rows.values() ?? [])];
  }

  get<C extends Columns>(table: TableModel<C>, uuid: Uuid): Row<C> | undefined {
    return this.tables.get(table.name)?.rows.get(uuid) as Row<C> | undefined;
  }

  find<C extends Columns>(table: TableModel<C>, predicate: (row: Row<C>) => boolean): Row<C> | undefined {
    return this.rows(table).find(predicate);
  }

  /** Replaces the tables' rows with a monitor's initial contents: rows the server no longer has disappear. */
  replace(models: readonly AnyTableModel[], updates: Json, format: UpdateFormat, cause: 'initial' | 'resync'): CacheUpdate {
    const fresh = new Map(models.map((model): [string, CachedTable] => [model.name, { model, rows: new Map() }]));
    const staged = this.stage(fresh, updates, format);
    const changes = new Map<string, TableChange>();
    for (const [name, table] of fresh) {
      for (const [uuid, row] of staged.get(name) ?? []) if (row) table.rows.set(uuid, row);
      changes.set(name, difference(table.model, this.tables.get(name)?.rows ?? new Map(), table.rows));
      this.tables.set(name, table);
    }
    return { cause, tables: changes };
  }

  apply(updates: Json, format: UpdateFormat): CacheUpdate {
    const staged = this.stage(this.tables, updates, format);
    const changes = new Map<string, TableChange>();
    for (const [name, rows] of staged) {
      const table = this.tables.get(name) as CachedTable;
      const change = { inserted: [] as Uuid[], modified: [] as Uuid[], deleted: [] as Uuid[] };
      for (const [uuid, row] of rows) {
        const existed = table.rows.has(uuid);
        if (row) {
          table.rows.set(uuid, row);
          (existed ? change.modified : change.inserted).push(uuid);
        } else if (existed) {
          table.rows.delete(uuid);
          change.deleted.push(uuid);
        }
      }
      changes.set(name, change);
    }
    return { cause: 'update', tables: changes };
  }

  drop(models: readonly AnyTableModel[]): CacheUpdate {
    const changes = new Map<string, TableChange>();
    for (const model of models) {
      const rows = this.tables.get(model.name)?.rows;
      this.tables.delete(model.name);
      changes.set(model.name, { inserted: [], modified: [], deleted: [...(rows?.keys() ?? [])] });
    }
    return { cause: 'cancel', tables: changes };
  }

  /** Decodes a `<table-updates>` (or `<table-updates2>`) against `tables` without changing anything. */
  private stage(tables: ReadonlyMap<string, CachedTable>, updates: Json, format: UpdateFormat): Map<string, StagedRows> {
    const staged = new Map<string, StagedRows>();
    for (const [name, rowUpdates] of objectMembers(updates, 'table updates')) {
      const table = tables.get(name);
      if (!table) continue;
      const rows: StagedRows = new Map();
      for (const [uuid, rowUpdate] of objectMembers(rowUpdates, `updates of ${name}`)) {
        const current = rows.has(uuid) ? rows.get(uuid) : table.rows.get(uuid);
        rows.set(uuid, format === 'update' ? rowAfterUpdate(table.model, uuid, current, rowUpdate) : rowAfterUpdate2(table.model, uuid, current, rowUpdate));
      }
      staged.set(name, rows);
    }
    return staged;
  }
}

function objectMembers(json: Json | undefined, what: string): [string, JsonObject][] {
  if (!isJsonObject(json)) throw new OvsdbProtocolError(`${what} is not an object`);
  return Object.entries(json).map(([name, member]) => {
    if (!isJsonObject(member)) throw new OvsdbProtocolError(`${what}: ${name} is not an object`);
    return [name, member];
  });
}

/** RFC 7047 `<row-update>`: `new` alone is an insert, `old` alone a delete, both a modify. */
function rowAfterUpdate(model: AnyTableModel, uuid: Uuid, current: AnyRow | undefined, update: JsonObject): AnyRow | undefined {
  const after = update['new'];
  if (after === undefined) return undefined;
  if (!isJsonObject(after)) throw new OvsdbProtocolError(`${model.name} ${uuid}: "new" is not a row`);
  return model.rowFromWire(uuid, after, current);
}

/** ovsdb-server(7) `<row-update2>`: one of `initial`, `insert`, `modify` (a diff) or `delete`. */
function rowAfterUpdate2(model: AnyTableModel, uuid: Uuid, current: AnyRow | undefined, update: JsonObject): AnyRow | undefined {
  if ('delete' in update) return undefined;
  const inserted = update['initial'] ?? update['insert'];
  if (isJsonObject(inserted)) return model.rowFromWire(uuid, inserted);
  const diff = update['modify'];
  if (!isJsonObject(diff)) throw new OvsdbProtocolError(`${model.name} ${uuid}: an update2 with no initial, insert, modify or delete`);
  if (!current) throw new OvsdbProtocolError(`${model.name} ${uuid}: a modify for a row we do not have`);
  return model.applyDiff(current, diff);
}

function difference(model: AnyTableModel, before: ReadonlyMap<Uuid, AnyRow>, after: ReadonlyMap<Uuid, AnyRow>): TableChange {
  const inserted: Uuid[] = [];
  const modified: Uuid[] = [];
  for (const [uuid, row] of after) {
    const old = before.get(uuid);
    if (!old) inserted.push(uuid);
    else if (Object.entries(model.columns).some(([name, column]) => !datumEquals(column, old[name], row[name]))) modified.push(uuid);
  }
  const deleted = [...before.keys()].filter((uuid) => !after.has(uuid));
  return { inserted, modified, deleted };
}
