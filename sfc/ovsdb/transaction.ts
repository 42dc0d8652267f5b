/**
 * A transaction (RFC 7047 section 5.2) built from typed operations. Each method adds one operation and
 * answers a handle on its result; `OvsdbClient.transact` sends them all as one `transact` request, which the
 * server applies entirely or not at all, and checks the result array: the first error in it becomes a typed
 * error naming the operation that failed.
 */
import { NamedUuid, type Uuid } from './datum.js';
import { OvsdbConflictError, OvsdbProtocolError, OvsdbTransactionError, OvsdbUsageError } from './errors.js';
import { errorParts, isJsonObject, type Json, type JsonObject } from './jsonrpc.js';
import { uuidFromWire, type AnyTableModel, type Columns, type Condition, type Mutation, type Row, type RowWrite, type TableModel } from './table.js';

export type OperationName = 'insert' | 'select' | 'update' | 'mutate' | 'delete' | 'wait' | 'commit' | 'abort' | 'comment';

/** Where to find one operation's result in a `TransactionOutcome`. */
export interface OperationResult<R> {
  readonly index: number;
  readonly __result?: R;
}

export interface WaitOptions<C extends Columns> {
  /** The columns compared; the rows must have exactly these. */
  columns: readonly (keyof C & string)[];
  /** `==`: wait until the selected rows equal `rows`; `!=`: until they differ. */
  until: '==' | '!=';
  rows: readonly RowWrite<C>[];
  /** How long the server may wait for the condition; 0 (the default) checks it once. */
  timeoutMs?: number;
}

interface PlannedOperation {
  readonly op: OperationName;
  readonly table: string | undefined;
  readonly wire: JsonObject;
  readonly read: (result: JsonObject) => unknown;
}

const nothing = (): undefined => undefined;
const count = (result: JsonObject): number => {
  const value = result['count'];
  if (typeof value !== 'number') throw new OvsdbProtocolError(`a result without a count: ${JSON.stringify(result)}`);
  return value;
};

export class Transaction {
  private readonly operations: PlannedOperation[] = [];
  private readonly insertions = new Map<NamedUuid, number>();

  get size(): number {
    return this.operations.length;
  }

  /** Inserts a row; the answer refers to it in later operations of this transaction and in the outcome. */
  insert<C extends Columns>(table: TableModel<C>, row: RowWrite<C>): NamedUuid {
    const reference = new NamedUuid(`row${this.insertions.size + 1}`);
    const index = this.add('insert', table.name, { row: table.rowToWire(row), 'uuid-name': reference.name }, (result) =>
      uuidFromWire(result['uuid']),
    );
    this.insertions.set(reference, index.index);
    return reference;
  }

  /** Selects every column of our model (and `_uuid`) of the rows that satisfy `where`. */
  select<C extends Columns>(table: TableModel<C>, where: readonly Condition<C>[]): OperationResult<readonly Row<C>[]>;
  /** For code that goes through several tables: rows with column types erased. */
  select(table: AnyTableModel, where: readonly Condition<Columns>[]): OperationResult<readonly Row<Columns>[]>;
  select(table: AnyTableModel, where: readonly Condition<Columns>[]): OperationResult<readonly Row<Columns>[]> {
    const wire = { where: table.conditionsToWire(where), columns: ['_uuid', ...table.columnNames] };
    return this.add('select', table.name, wire, (result) => {
      const rows = result['rows'];
      if (!Array.isArray(rows)) throw new OvsdbProtocolError(`a select result without rows: ${JSON.stringify(result)}`);
      return rows.map((row: Json) => {
        if (!isJsonObject(row)) throw new OvsdbProtocolError(`a selected row is not an object: ${JSON.stringify(row)}`);
        return table.rowFromWire(uuidFromWire(row['_uuid']), row);
      });
    });
  }

  /** Answers how many rows were updated. */
  update<C extends Columns>(table: TableModel<C>, where: readonly Condition<C>[], row: RowWrite<C>): OperationResult<number> {
    return this.add('update', table.name, { where: table.conditionsToWire(where), row: table.rowToWire(row) }, count);
  }

  /** Answers how many rows were mutated. */
  mutate<C extends Columns>(table: TableModel<C>, where: readonly Condition<C>[], mutations: readonly Mutation<C>[]): OperationResult<number> {
    return this.add('mutate', table.name, { where: table.conditionsToWire(where), mutations: table.mutationsToWire(mutations) }, count);
  }

  /** Answers how many rows were deleted. Only root rows need deleting: OVSDB drops unreferenced others. */
  delete<C extends Columns>(table: TableModel<C>, where: readonly Condition<C>[]): OperationResult<number> {
    return this.add('delete', table.name, { where: table.conditionsToWire(where) }, count);
  }

  wait<C extends Columns>(table: TableModel<C>, where: readonly Condition<C>[], options: WaitOptions<C>): void {
    this.add(
      'wait',
      table.name,
      {
        where: table.conditionsToWire(where),
        columns: [...options.columns],
        until: options.until,
        rows: options.rows.map((row) => table.rowToWire(row)),
        timeout: options.timeoutMs ?? 0,
      },
      nothing,
    );
  }

  /**
   * Optimistic concurrency, like the IDL's `verify`: the transaction fails with `OvsdbConflictError` unless
   * `columns` of the row still hold the values read (from the cache) when the transaction was built.
   */
  verify<C extends Columns>(table: TableModel<C>, row: Row<C>, columns: readonly (keyof C & string)[]): void {
    if (columns.length === 0) throw new OvsdbUsageError('verify needs at least one column');
    const expected: Record<string, unknown> = {};
    for (const name of columns) expected[name] = row[name];
    const where: Condition<C>[] = [['_uuid', '==', row._uuid]];
    this.wait(table, where, { columns, until: '==', rows: [expected as RowWrite<C>] });
  }

  /** Asks the server to make the transaction durable on disk before it answers. */
  commit(durable = true): void {
    this.add('commit', undefined, { durable }, nothing);
  }

  /** Makes the transaction fail (with error "aborted"); useful only for tests of the error path. */
  abort(): void {
    this.add('abort', undefined, {}, nothing);
  }

  /** A note ovsdb-server writes to its log beside the transaction. */
  comment(text: string): void {
    this.add('comment', undefined, { comment: text }, nothing);
  }

  /** The operations as the `transact` params after the database name. */
  toWire(): JsonObject[] {
    return this.operations.map((operation) => operation.wire);
  }

  /** Checks a `transact` result: the first error in it is thrown as a typed error; otherwise the outcome. */
  readResult(result: Json): TransactionOutcome {
    if (!Array.isArray(result)) throw new OvsdbProtocolError(`a transact result that is not an array: ${JSON.stringify(result)}`);
    result.forEach((element: Json, index: number) => {
      if (isJsonObject(element) && element['error'] !== undefined) throw this.failure(index, element);
    });
    if (result.length < this.operations.length) throw new OvsdbProtocolError(`${result.length} results for ${this.operations.length} operations`);
    const values = this.operations.map((operation, index) => {
      const element = result[index] as Json;
      if (!isJsonObject(element)) throw new OvsdbProtocolError(`result ${index} is not an object: ${JSON.stringify(element)}`);
      return operation.read(element);
    });
    return new TransactionOutcome(values, this.insertions);
  }

  private failure(index: number, element: JsonObject): OvsdbTransactionError {
    const { error, details } = errorParts(element);
    const operation = this.operations[index];
    if (!operation) return new OvsdbTransactionError(index, 'commit', undefined, error, details);
    if (operation.op === 'wait' && error === 'timed out') return new OvsdbConflictError(index, operation.table, error, details);
    return new OvsdbTransactionError(index, operation.op, operation.table, error, details);
  }

  private add<R>(op: OperationName, table: string | undefined, members: JsonObject, read: (result: JsonObject) => R): OperationResult<R> {
    const wire: JsonObject = table === undefined ? { op, ...members } : { op, table, ...members };
    this.operations.push({ op, table, wire, read });
    return { index: this.operations.length - 1 };
  }
}

export class TransactionOutcome {
  constructor(
    private readonly values: readonly unknown[],
    private readonly insertions: ReadonlyMap<NamedUuid, number>,
  ) {}

  get<R>(result: OperationResult<R>): R {
    return this.values[result.index] as R;
  }

  /** The UUID the server gave a row inserted by this transaction. */
  uuidOf(reference: NamedUuid): Uuid {
    const index = this.insertions.get(reference);
    if (index === undefined) throw new OvsdbUsageError(`${reference.name} was not inserted by this transaction`);
    return this.values[index] as Uuid;
  }
}
