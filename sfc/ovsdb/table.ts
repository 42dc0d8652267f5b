/**
 * A table as we use it: its name and the columns we read and write, declared once; row types, conditions and
 * the row codecs all derive from that declaration. Columns we do not declare are neither monitored (so the
 * statistics OVS rewrites every few seconds never reach us) nor writable.
 */
import {
  applyDiff,
  datumToWire,
  datumFromWire,
  defaultDatum,
  mutationToWire,
  type AnyColumn,
  type ElementOf,
  type ReadOf,
  type RowReference,
  type Uuid,
  type WriteOf,
} from './datum.js';
import { OvsdbUsageError } from './errors.js';
import type { Json, JsonObject } from './jsonrpc.js';

export interface Columns {
  readonly [name: string]: AnyColumn;
}

export type Row<C extends Columns> = { readonly _uuid: Uuid } & { readonly [K in keyof C]: ReadOf<C[K]> };
export type RowWrite<C extends Columns> = { readonly [K in keyof C]?: WriteOf<C[K]> };

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition<C extends Columns> =
  | { [K in keyof C & string]: readonly [K, ConditionFunction, WriteOf<C[K]>] }[keyof C & string]
  | readonly ['_uuid', '==' | '!=', RowReference];

export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
/** For a map, `delete` may name keys only: `['external_ids', 'delete', ['iface-id']]`. */
export type Mutation<C extends Columns> = {
  [K in keyof C & string]: readonly [K, Mutator, WriteOf<C[K]> | readonly ElementOf<C[K]>[]];
}[keyof C & string];

/** A monitored table with a `monitor_cond` condition: only the rows that satisfy every clause. */
export interface TableSelection {
  readonly table: AnyTableModel;
  /** The clauses in wire form. */
  readonly where: readonly Json[];
}

/** A table model with its column types erased: what code generic over tables (cache, monitors) needs. */
export interface AnyTableModel {
  readonly name: string;
  readonly columns: Columns;
  readonly columnNames: string[];
  rowFromWire(uuid: Uuid, wire: JsonObject, base?: Row<Columns>): Row<Columns>;
  applyDiff(base: Row<Columns>, diff: JsonObject): Row<Columns>;
  conditionsToWire(conditions: readonly Condition<Columns>[]): Json[];
}

export class TableModel<C extends Columns> implements AnyTableModel {
  constructor(
    readonly name: string,
    readonly columns: C,
  ) {}

  get columnNames(): string[] {
    return Object.keys(this.columns);
  }

  where(...conditions: Condition<C>[]): TableSelection {
    return { table: this, where: this.conditionsToWire(conditions) };
  }

  /** Decodes a wire row; columns it leaves out keep their value in `base`, or take their default. */
  rowFromWire(uuid: Uuid, wire: JsonObject, base?: Row<C>): Row<C> {
    const row: Record<string, unknown> = { _uuid: uuid };
    for (const [name, column] of Object.entries(this.columns)) {
      const value = wire[name];
      row[name] = value !== undefined ? datumFromWire(column, value) : base ? base[name] : defaultDatum(column);
    }
    return row as Row<C>;
  }

  /** Applies an `update2` diff row to a cached row, as a new row (snapshots handed out stay as they were). */
  applyDiff(base: Row<C>, diff: JsonObject): Row<C> {
    const row: Record<string, unknown> = { ...base };
    for (const [name, value] of Object.entries(diff)) {
      const column = this.columns[name];
      if (column) row[name] = applyDiff(column, base[name], value);
    }
    return row as Row<C>;
  }

  /** The columns a write names (an explicit `undefined` empties an optional column). */
  rowToWire(row: RowWrite<C>): JsonObject {
    const wire: Record<string, Json> = {};
    for (const [name, value] of Object.entries(row)) {
      const column = this.column(name);
      if (value === undefined && column.shape !== 'optional') continue;
      wire[name] = datumToWire(column, value);
    }
    return wire;
  }

  conditionsToWire(conditions: readonly Condition<C>[]): Json[] {
    return conditions.map(([name, fn, value]) => [name, fn, name === '_uuid' ? uuidToWire(value) : datumToWire(this.column(name), value)]);
  }

  mutationsToWire(mutations: readonly Mutation<C>[]): Json[] {
    return mutations.map(([name, mutator, value]) => [name, mutator, mutationToWire(this.column(name), value)]);
  }

  private column(name: string): AnyColumn {
    const column = this.columns[name];
    if (!column) throw new OvsdbUsageError(`${this.name} has no column "${name}" in our table model`);
    return column;
  }
}

export type RowOf<T> = T extends TableModel<infer C> ? Row<C> : never;

export function table<C extends Columns>(name: string, columns: C): TableModel<C> {
  return new TableModel(name, columns);
}

const UUID_COLUMN: AnyColumn = { shape: 'scalar', key: { type: 'uuid' }, value: undefined };

export function uuidToWire(reference: unknown): Json {
  return datumToWire(UUID_COLUMN, reference);
}

export function uuidFromWire(json: Json | undefined): Uuid {
  return datumFromWire(UUID_COLUMN, json ?? null) as Uuid;
}
