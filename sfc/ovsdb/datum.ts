/**
 * OVSDB values (RFC 7047 section 5.1) as declared column types, and the one codec that walks them: wire form
 * to typed value, typed value to wire form, and the `update2` diff of a column (ovsdb-server(7)).
 *
 * On the wire a set of one element may be the bare atom, `["set", [...]]` otherwise; a map is
 * `["map", [[key, value], ...]]`; a UUID is `["uuid", "..."]`, and a row inserted by the same transaction is
 * referred to as `["named-uuid", "name"]`. Typed values are plain: a UUID is its string, a set an array, a
 * map a `Map`, and a column of at most one element (`min 0, max 1`) is the element or `undefined`.
 */
import { OvsdbProtocolError, OvsdbUsageError } from './errors.js';
import type { Json } from './jsonrpc.js';

export type Uuid = string;

/** A row inserted earlier in the same transaction, before the server has given it a UUID. */
export class NamedUuid {
  constructor(readonly name: string) {}
}

export type RowReference = Uuid | NamedUuid;

export type AtomicType = 'string' | 'integer' | 'real' | 'boolean' | 'uuid';

/** `Read` is what the cache gives, `Write` what a transaction takes; the two differ only for UUIDs. */
export interface AtomKind<Read, Write = Read> {
  readonly type: AtomicType;
  /** For strings the schema restricts to an enumeration. */
  readonly values?: readonly string[];
  readonly __read?: Read;
  readonly __write?: Write;
}

export const atom = {
  string: { type: 'string' } as AtomKind<string>,
  integer: { type: 'integer' } as AtomKind<number>,
  real: { type: 'real' } as AtomKind<number>,
  boolean: { type: 'boolean' } as AtomKind<boolean>,
  uuid: { type: 'uuid' } as AtomKind<Uuid, RowReference>,
  oneOf: <E extends string>(...values: E[]): AtomKind<E> => ({ type: 'string', values }),
};

export type ColumnShape = 'scalar' | 'optional' | 'set' | 'map';

/** `Element` is what a mutation may insert or delete one by one: a set's element or a map's key. */
export interface Column<Read, Write, Element = never> {
  readonly shape: ColumnShape;
  readonly key: AtomKind<unknown, unknown>;
  readonly value: AtomKind<unknown, unknown> | undefined;
  readonly __read?: Read;
  readonly __write?: Write;
  readonly __element?: Element;
}

export type AnyColumn = Column<unknown, unknown, unknown>;
export type ReadOf<C> = C extends Column<infer Read, unknown, unknown> ? Read : never;
export type WriteOf<C> = C extends Column<unknown, infer Write, unknown> ? Write : never;
export type ElementOf<C> = C extends Column<unknown, unknown, infer Element> ? Element : never;

export type MapWrite<K, V> = ReadonlyMap<K, V> | (K extends string ? Readonly<Record<K, V>> : never);

export const column = {
  /** Exactly one value (`min 1, max 1`). */
  scalar: <R, W>(key: AtomKind<R, W>): Column<R, W> => ({ shape: 'scalar', key, value: undefined }),
  /** At most one value (`min 0, max 1`). */
  optional: <R, W>(key: AtomKind<R, W>): Column<R | undefined, W | undefined> => ({ shape: 'optional', key, value: undefined }),
  set: <R, W>(key: AtomKind<R, W>): Column<readonly R[], readonly W[], W> => ({ shape: 'set', key, value: undefined }),
  map: <KR, KW, VR, VW>(key: AtomKind<KR, KW>, value: AtomKind<VR, VW>): Column<ReadonlyMap<KR, VR>, MapWrite<KW, VW>, KW> => ({
    shape: 'map',
    key,
    value,
  }),
};

type Atom = string | number | boolean;
type AnyAtomKind = AtomKind<unknown, unknown>;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAMED_UUID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How each atomic type other than UUID travels in JSON. */
const JSON_TYPE: Readonly<Record<Exclude<AtomicType, 'uuid'>, 'string' | 'number' | 'boolean'>> = {
  string: 'string',
  integer: 'number',
  real: 'number',
  boolean: 'boolean',
};

function atomFromWire(kind: AnyAtomKind, json: Json): Atom {
  if (kind.type === 'uuid') {
    if (Array.isArray(json) && json[0] === 'uuid' && typeof json[1] === 'string') return json[1];
  } else if (typeof json === JSON_TYPE[kind.type]) {
    return json as Atom;
  }
  throw new OvsdbProtocolError(`expected a ${kind.type}, got ${JSON.stringify(json)}`);
}

function atomToWire(kind: AnyAtomKind, value: unknown): Json {
  if (kind.type === 'uuid') {
    if (value instanceof NamedUuid && NAMED_UUID_PATTERN.test(value.name)) return ['named-uuid', value.name];
    if (typeof value === 'string' && UUID_PATTERN.test(value)) return ['uuid', value];
  } else if (
    (kind.type === 'string' && typeof value === 'string') ||
    (kind.type === 'boolean' && typeof value === 'boolean') ||
    (kind.type === 'integer' && Number.isSafeInteger(value)) ||
    (kind.type === 'real' && typeof value === 'number' && Number.isFinite(value))
  ) {
    return value as Atom;
  }
  throw new OvsdbUsageError(`${shown(value)} is not a valid ${kind.type}`);
}

function shown(value: unknown): string {
  return value instanceof NamedUuid ? `named-uuid "${value.name}"` : JSON.stringify(value) ?? String(value);
}

function setElementsFromWire(json: Json): readonly Json[] {
  if (Array.isArray(json) && json[0] === 'set') {
    const elements = json[1];
    if (!Array.isArray(elements)) throw new OvsdbProtocolError(`malformed set ${JSON.stringify(json)}`);
    return elements;
  }
  return [json];
}

function mapPairsFromWire(json: Json): readonly (readonly [Json, Json])[] {
  const pairs = Array.isArray(json) && json[0] === 'map' ? json[1] : undefined;
  if (!Array.isArray(pairs) || !pairs.every((pair) => Array.isArray(pair) && pair.length === 2)) {
    throw new OvsdbProtocolError(`malformed map ${JSON.stringify(json)}`);
  }
  return pairs as readonly (readonly [Json, Json])[];
}

function valueKind(column: AnyColumn): AnyAtomKind {
  if (!column.value) throw new OvsdbUsageError('a map column without a value type');
  return column.value;
}

/** Typed value of a column from its wire form. */
export function datumFromWire(column: AnyColumn, json: Json): unknown {
  switch (column.shape) {
    case 'scalar':
      return atomFromWire(column.key, json);
    case 'optional': {
      const elements = setElementsFromWire(json);
      if (elements.length > 1) throw new OvsdbProtocolError(`more than one value in ${JSON.stringify(json)}`);
      return elements.length === 0 ? undefined : atomFromWire(column.key, elements[0] as Json);
    }
    case 'set':
      return setElementsFromWire(json).map((element) => atomFromWire(column.key, element));
    case 'map': {
      const value = valueKind(column);
      return new Map(mapPairsFromWire(json).map(([k, v]) => [atomFromWire(column.key, k), atomFromWire(value, v)]));
    }
  }
}

function entriesOf(value: unknown): [unknown, unknown][] {
  if (value instanceof Map) return [...(value as Map<unknown, unknown>).entries()];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.entries(value);
  throw new OvsdbUsageError(`${shown(value)} is not a map`);
}

function elementsOf(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw new OvsdbUsageError(`${shown(value)} is not a set`);
}

/** Wire form of a typed value (or of a write value, with named UUIDs). */
export function datumToWire(column: AnyColumn, value: unknown): Json {
  switch (column.shape) {
    case 'scalar':
      return atomToWire(column.key, value);
    case 'optional':
      return value === undefined ? ['set', []] : atomToWire(column.key, value);
    case 'set':
      return ['set', elementsOf(value).map((element) => atomToWire(column.key, element))];
    case 'map': {
      const valueType = valueKind(column);
      return ['map', entriesOf(value).map(([k, v]) => [atomToWire(column.key, k), atomToWire(valueType, v)])];
    }
  }
}

/** A mutation's argument: a set column takes a set; a map column a map, or for `delete` a set of keys. */
export function mutationToWire(column: AnyColumn, value: unknown): Json {
  if (column.shape === 'map' && Array.isArray(value)) return ['set', value.map((key: unknown) => atomToWire(column.key, key))];
  return datumToWire(column, value);
}

/** The value a column has when nobody set it (what `update2` leaves out of `initial` and `insert`). */
export function defaultDatum(column: AnyColumn): unknown {
  switch (column.shape) {
    case 'optional':
      return undefined;
    case 'set':
      return [];
    case 'map':
      return new Map();
    case 'scalar':
      return { string: '', integer: 0, real: 0, boolean: false, uuid: ZERO_UUID }[column.key.type];
  }
}

/**
 * Applies an `update2` "modify" diff. A column of at most one value carries its new value. A set carries the
 * elements that changed: each is added when absent and removed when present. A map carries the pairs that
 * changed: a new key is added, a key with the same value is removed, a key with another value takes it.
 */
export function applyDiff(column: AnyColumn, current: unknown, diff: Json): unknown {
  if (column.shape === 'scalar' || column.shape === 'optional') return datumFromWire(column, diff);
  if (column.shape === 'set') {
    const result = [...(current as readonly Atom[])];
    for (const element of datumFromWire(column, diff) as Atom[]) {
      const index = result.indexOf(element);
      if (index >= 0) result.splice(index, 1);
      else result.push(element);
    }
    return result;
  }
  const result = new Map(current as ReadonlyMap<Atom, Atom>);
  for (const [key, value] of datumFromWire(column, diff) as Map<Atom, Atom>) {
    if (result.get(key) === value) result.delete(key);
    else result.set(key, value);
  }
  return result;
}

export function datumEquals(column: AnyColumn, a: unknown, b: unknown): boolean {
  if (column.shape === 'scalar' || column.shape === 'optional') return a === b;
  if (column.shape === 'set') {
    const left = a as readonly Atom[];
    const right = new Set(b as readonly Atom[]);
    return left.length === right.size && left.every((element) => right.has(element));
  }
  const left = a as ReadonlyMap<Atom, Atom>;
  const right = b as ReadonlyMap<Atom, Atom>;
  return left.size === right.size && [...left].every(([key, value]) => right.has(key) && right.get(key) === value);
}
