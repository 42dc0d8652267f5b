/**
 * The server's database schema (RFC 7047 section 3.2), read from `get_schema`, and the check that our table
 * models still describe it: a model that drifted from the server would decode rows wrongly, so it is refused
 * with every difference named.
 */
import type { AnyColumn, AtomicType, ColumnShape } from './datum.js';
import { OvsdbProtocolError } from './errors.js';
import { isJsonObject, type Json, type JsonObject } from './jsonrpc.js';
import type { AnyTableModel } from './table.js';

export interface BaseTypeSchema {
  readonly type: AtomicType;
  /** The enumeration a value must belong to, when the schema restricts it. */
  readonly values: readonly Json[] | undefined;
}

export interface ColumnSchema {
  readonly key: BaseTypeSchema;
  readonly value: BaseTypeSchema | undefined;
  readonly min: number;
  readonly max: number | 'unlimited';
}

export interface TableSchema {
  readonly isRoot: boolean;
  readonly columns: ReadonlyMap<string, ColumnSchema>;
}

export interface DatabaseSchema {
  readonly name: string;
  readonly version: string;
  readonly tables: ReadonlyMap<string, TableSchema>;
}

const ATOMIC_TYPES: readonly string[] = ['string', 'integer', 'real', 'boolean', 'uuid'];

function baseType(json: Json | undefined, where: string): BaseTypeSchema {
  const type = isJsonObject(json) ? json['type'] : json;
  if (typeof type !== 'string' || !ATOMIC_TYPES.includes(type)) throw new OvsdbProtocolError(`${where}: unknown atomic type ${JSON.stringify(type)}`);
  const enumeration = isJsonObject(json) ? json['enum'] : undefined;
  let values: readonly Json[] | undefined;
  if (enumeration !== undefined) values = Array.isArray(enumeration) && enumeration[0] === 'set' ? (enumeration[1] as readonly Json[]) : [enumeration];
  return { type: type as AtomicType, values };
}

function columnType(json: Json | undefined, where: string): ColumnSchema {
  if (!isJsonObject(json)) return { key: baseType(json, where), value: undefined, min: 1, max: 1 };
  const max = json['max'] ?? 1;
  const min = json['min'] ?? 1;
  if (typeof min !== 'number' || (typeof max !== 'number' && max !== 'unlimited')) throw new OvsdbProtocolError(`${where}: bad min/max`);
  return { key: baseType(json['key'], where), value: json['value'] === undefined ? undefined : baseType(json['value'], where), min, max };
}

function membersOf(json: Json | undefined, where: string): [string, JsonObject][] {
  if (!isJsonObject(json)) throw new OvsdbProtocolError(`${where} is not an object`);
  return Object.entries(json).map(([name, member]) => {
    if (!isJsonObject(member)) throw new OvsdbProtocolError(`${where}.${name} is not an object`);
    return [name, member];
  });
}

export function readSchema(json: Json): DatabaseSchema {
  if (!isJsonObject(json) || typeof json['name'] !== 'string') throw new OvsdbProtocolError('a schema without a name');
  const tables = new Map<string, TableSchema>();
  for (const [tableName, table] of membersOf(json['tables'], 'tables')) {
    const columns = new Map<string, ColumnSchema>();
    for (const [columnName, column] of membersOf(table['columns'], `${tableName}.columns`)) {
      columns.set(columnName, columnType(column['type'], `${tableName}.${columnName}`));
    }
    tables.set(tableName, { isRoot: table['isRoot'] === true, columns });
  }
  return { name: json['name'], version: typeof json['version'] === 'string' ? json['version'] : '', tables };
}

export function shapeOf(column: ColumnSchema): ColumnShape {
  if (column.value) return 'map';
  if (column.max === 1) return column.min === 1 ? 'scalar' : 'optional';
  return 'set';
}

function columnProblems(where: string, declared: AnyColumn, actual: ColumnSchema): string[] {
  const problems: string[] = [];
  if (shapeOf(actual) !== declared.shape) problems.push(`${where}: ${shapeOf(actual)} on the server, ${declared.shape} in our model`);
  const pairs: [string, BaseTypeSchema | undefined, AnyColumn['key'] | undefined][] = [
    ['key', actual.key, declared.key],
    ['value', actual.value, declared.value],
  ];
  for (const [part, server, ours] of pairs) {
    if (!server || !ours) continue;
    if (server.type !== ours.type) problems.push(`${where} ${part}: ${server.type} on the server, ${ours.type} in our model`);
    const unknown = (ours.values ?? []).filter((value) => server.values !== undefined && !server.values.includes(value));
    if (unknown.length > 0) problems.push(`${where} ${part}: the server does not allow ${unknown.join(', ')}`);
  }
  return problems;
}

/** Every difference between the models and the server's schema; empty when they agree. */
export function schemaProblems(schema: DatabaseSchema, models: readonly AnyTableModel[]): string[] {
  const problems: string[] = [];
  for (const model of models) {
    const table = schema.tables.get(model.name);
    if (!table) {
      problems.push(`no table ${model.name}`);
      continue;
    }
    for (const [name, declared] of Object.entries(model.columns)) {
      const actual = table.columns.get(name);
      if (!actual) problems.push(`no column ${model.name}.${name}`);
      else problems.push(...columnProblems(`${model.name}.${name}`, declared, actual));
    }
  }
  return problems;
}
