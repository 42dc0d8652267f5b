import { formatPath, type PathSegment, type Problems, type Site } from './problems.js';
import { isScalarUnitType, parseScalar, unitsOf } from './scalar.js';
import type { Schema, TypeRegistry } from './tosca-types.js';
import { child, entriesOf, isNullish, itemsOf, scalarText, treeOf, type Located, type Tree } from './yaml-tree.js';

/**
 * Property values checked against their definitions: types (primitive, scalar-unit, list, map and data
 * types along their derived_from chains), constraints, defaults and required properties, and the intrinsic
 * function get_input. The result is plain data; every problem names the property's owner (the node
 * template, capability, policy...) and the property path inside it.
 */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** What an input resolves to: a value, nothing yet (given at instantiation), or nothing because of an error. */
export type InputValue = { kind: 'value'; value: Value; at: Located } | { kind: 'deferred' } | { kind: 'failed' };

export interface InputScope {
  resolve(name: string, site: Site): InputValue;
}

/** Functions whose value only exists at run time: kept unevaluated, never a type error. */
const RUNTIME_FUNCTIONS = new Set(['get_property', 'get_attribute', 'get_operation_output', 'get_artifact', 'get_nodes_of_type', 'concat', 'join', 'token']);

/** The result of evaluating one value: a value, nothing, or a value that only exists later. */
type Outcome = { value: Value } | 'absent' | 'deferred' | 'invalid';

/** Who owns the properties being evaluated: problems are reported against its path. */
export interface Owner {
  path: readonly PathSegment[];
  inputs: InputScope;
}

export class Evaluator {
  constructor(
    private readonly registry: TypeRegistry,
    private readonly problems: Problems,
  ) {}

  /** Evaluates a `properties:` map against definitions: defaults, required, types, constraints, unknown names. */
  properties(owner: Owner, definitions: ReadonlyMap<string, Schema>, given: Located, rel: readonly PathSegment[] = []): Record<string, Value> {
    const values: Record<string, Value> = {};
    if (given.tree !== undefined && !isNullish(given.tree) && given.tree.kind !== 'map') {
      this.mismatch(owner, rel, given, 'a map of properties');
      return values;
    }
    for (const [name, schema] of definitions) {
      const outcome = this.property(owner, schema, child(given, name), [...rel, name]);
      if (typeof outcome === 'object') values[name] = outcome.value;
    }
    for (const [name, located] of entriesOf(given)) {
      if (!definitions.has(name)) {
        this.problems.warn('unknown-property', `${this.describe([...rel, name])} is not a property of this type; it is ignored`, this.site(owner, located));
      }
    }
    return values;
  }

  /** One property: its value, else its default, else (when required) a `required-property` problem. */
  property(owner: Owner, schema: Schema, given: Located, rel: readonly PathSegment[]): Outcome {
    const outcome = isNullish(given.tree) ? 'absent' : this.value(owner, schema, given, rel);
    if (outcome !== 'absent') return outcome;
    if (schema.default !== undefined && !isNullish(schema.default.tree)) return this.value(owner, schema, schema.default, rel);
    if (schema.required) this.problems.error('required-property', `${this.describe(rel)} is required`, this.site(owner, given));
    return 'absent';
  }

  /** Checks one value against a schema (type, then constraints). */
  value(owner: Owner, schema: Schema, given: Located, rel: readonly PathSegment[]): Outcome {
    const call = functionCall(given);
    if (call) return this.call(owner, schema, call, given, rel);
    if (isNullish(given.tree)) return 'absent';
    const outcome = this.typed(owner, schema, given, rel);
    if (typeof outcome === 'object' && !this.constraints(owner, schema.type, schema.constraints, outcome.value, given, rel)) return 'invalid';
    return outcome;
  }

  private typed(owner: Owner, schema: Schema, given: Located, rel: readonly PathSegment[]): Outcome {
    const type = schema.type;
    const tree = given.tree;
    if (tree === undefined) return 'absent';
    if (type === 'list') {
      if (tree.kind !== 'seq') return this.mismatch(owner, rel, given, 'a list');
      return this.collection(itemsOf(given).map((item, index) => [index, item] as const), (item, index) =>
        schema.entrySchema ? this.entry(owner, schema.entrySchema, item, [...rel, index]) : { value: plain(item.tree) },
      );
    }
    if (type === 'map') {
      if (tree.kind !== 'map') return this.mismatch(owner, rel, given, 'a map');
      const entries = entriesOf(given);
      const outcomes = entries.map(([key, item]): Outcome => {
        if (schema.keySchema && !this.keyMatches(owner, schema.keySchema, key, item, [...rel, key])) return 'invalid';
        return schema.entrySchema ? this.entry(owner, schema.entrySchema, item, [...rel, key]) : { value: plain(item.tree) };
      });
      if (outcomes.includes('invalid')) return 'invalid';
      const value: { [key: string]: Value } = {};
      entries.forEach(([key], index) => {
        const outcome = outcomes[index];
        if (typeof outcome === 'object') value[key] = outcome.value;
      });
      return { value };
    }
    const primitive = this.registry.primitiveOf(type);
    if (primitive !== undefined) {
      const outcome = this.primitive(owner, primitive, given, rel);
      if (primitive !== type && typeof outcome === 'object') {
        // A data type derived from a primitive: every level's constraints hold.
        for (const level of this.registry.chain('data', type)) {
          if (!this.constraints(owner, primitive, level.constraints, outcome.value, given, rel)) return 'invalid';
        }
      }
      return outcome;
    }
    if (!this.registry.find('data', type)) {
      this.problems.error('unknown-type', `${this.describe(rel)} has the undeclared type ${type}`, this.site(owner, given));
      return 'invalid';
    }
    if (tree.kind !== 'map') return this.mismatch(owner, rel, given, `a map (${type})`);
    return { value: this.properties(owner, this.registry.properties('data', type), given, rel) };
  }

  /** An entry of a list or map: a missing (null) entry is a type error, not an absent property. */
  private entry(owner: Owner, schema: Schema, item: Located, rel: readonly PathSegment[]): Outcome {
    if (isNullish(item.tree) && !functionCall(item)) return this.mismatch(owner, rel, item, describeType(schema.type));
    return this.value(owner, schema, item, rel);
  }

  private collection(items: ReadonlyArray<readonly [number, Located]>, check: (item: Located, index: number) => Outcome): Outcome {
    const values: Value[] = [];
    let valid = true;
    for (const [index, item] of items) {
      const outcome = check(item, index);
      if (outcome === 'invalid') valid = false;
      else if (typeof outcome === 'object') values.push(outcome.value);
    }
    return valid ? { value: values } : 'invalid';
  }

  private keyMatches(owner: Owner, keySchema: Schema, key: string, item: Located, rel: readonly PathSegment[]): boolean {
    const keyTree: Located = { tree: treeOf(keySchema.type === 'integer' && /^-?\d+$/.test(key) ? Number(key) : key, item.site.at ?? { line: 1, column: 1 }), site: item.site };
    return this.value(owner, keySchema, keyTree, rel) !== 'invalid';
  }

  private primitive(owner: Owner, type: string, given: Located, rel: readonly PathSegment[]): Outcome {
    const tree = given.tree;
    if (tree?.kind !== 'scalar') {
      if (type === 'range' && tree?.kind === 'seq') return this.range(owner, given, rel);
      return this.mismatch(owner, rel, given, describeType(type));
    }
    const value = tree.value;
    if (isScalarUnitType(type)) {
      const text = scalarText(tree) ?? '';
      if (typeof value === 'string' && parseScalar(type, text) !== undefined) return { value: text };
      return this.mismatch(owner, rel, given, `a ${type} such as "4 ${unitsOf(type)[3] ?? unitsOf(type)[0]}" (units: ${unitsOf(type).join(', ')})`);
    }
    switch (type) {
      case 'string':
      case 'version':
      case 'timestamp':
        // A number or boolean where text is expected is read as written (`version: 1.0` is "1.0").
        return typeof value === 'string' ? { value } : { value: tree.text };
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value) ? { value } : this.mismatch(owner, rel, given, 'an integer');
      case 'float':
        return typeof value === 'number' ? { value } : this.mismatch(owner, rel, given, 'a number');
      case 'boolean':
        return typeof value === 'boolean' ? { value } : this.mismatch(owner, rel, given, 'true or false');
      case 'null':
        return value === null ? { value } : this.mismatch(owner, rel, given, 'null');
      default:
        return this.mismatch(owner, rel, given, describeType(type));
    }
  }

  /** A TOSCA range: `[ lower, upper ]`, integers, the upper bound possibly `UNBOUNDED`. */
  private range(owner: Owner, given: Located, rel: readonly PathSegment[]): Outcome {
    const bounds = itemsOf(given).map((item) => (item.tree?.kind === 'scalar' ? item.tree.value : undefined));
    const [lower, upper] = bounds;
    const upperOk = (typeof upper === 'number' && Number.isInteger(upper)) || upper === 'UNBOUNDED';
    if (bounds.length !== 2 || typeof lower !== 'number' || !Number.isInteger(lower) || !upperOk) {
      return this.mismatch(owner, rel, given, 'a range [ lower, upper ] of integers (upper may be UNBOUNDED)');
    }
    if (typeof upper === 'number' && upper < lower) return this.mismatch(owner, rel, given, 'a range whose lower bound is not above its upper bound');
    return { value: [lower, upper] };
  }

  private call(owner: Owner, schema: Schema, call: { name: string; argument: Located }, given: Located, rel: readonly PathSegment[]): Outcome {
    if (call.name !== 'get_input') return 'deferred';
    const argument = call.argument.tree;
    const names = argument?.kind === 'seq' ? itemsOf(call.argument).map((item) => scalarText(item.tree)) : [scalarText(argument)];
    const [name, ...keys] = names;
    if (name === undefined || keys.includes(undefined)) {
      this.problems.error('tosca-syntax', `${this.describe(rel)}: get_input takes an input name (or a list of the name and keys into it)`, this.site(owner, given));
      return 'invalid';
    }
    const input = owner.inputs.resolve(name, this.site(owner, given));
    if (input.kind !== 'value') return input.kind === 'deferred' ? 'deferred' : 'invalid';
    let located = input.at;
    for (const key of keys) located = child(located, /^\d+$/.test(key ?? '') && located.tree?.kind === 'seq' ? Number(key) : (key ?? ''));
    // The value is checked where get_input stands, so that problems point at the property that uses it.
    const value: Located = { tree: located.tree === undefined ? undefined : treeOf(plain(located.tree), given.site.at ?? located.tree.at), site: given.site };
    return this.value(owner, schema, value, rel);
  }

  private constraints(owner: Owner, type: string, clauses: readonly Located[], value: Value, given: Located, rel: readonly PathSegment[]): boolean {
    for (const clause of clauses) {
      const [operator, operand] = entriesOf(clause)[0] ?? [];
      if (operator === undefined || operand === undefined) continue;
      const check = CONSTRAINTS[operator];
      if (!check) continue;
      const failure = check(comparisonFor(type), value, operand);
      if (failure !== undefined) {
        this.problems.error('property-constraint', `${this.describe(rel)}: ${shown(value)} ${failure}`, this.site(owner, given));
        return false;
      }
    }
    return true;
  }

  private mismatch(owner: Owner, rel: readonly PathSegment[], given: Located, expected: string): 'invalid' {
    this.problems.error('property-type', `${this.describe(rel)}: expected ${expected}, found ${found(given.tree)}`, this.site(owner, given));
    return 'invalid';
  }

  private describe(rel: readonly PathSegment[]): string {
    return rel.length === 0 ? 'the value' : formatPath(rel);
  }

  private site(owner: Owner, located: Located): Site {
    return { file: located.site.file, path: owner.path, at: located.site.at };
  }
}

/** `{ get_input: name }` and the other intrinsic functions: a map of exactly one function name. */
function functionCall(located: Located): { name: string; argument: Located } | undefined {
  const tree = located.tree;
  if (tree?.kind !== 'map' || tree.entries.size !== 1) return undefined;
  const [name] = tree.entries.keys();
  if (name === undefined || (name !== 'get_input' && !RUNTIME_FUNCTIONS.has(name))) return undefined;
  return { name, argument: child(located, name) };
}

/** A tree as plain data (no type applied). */
export function plain(tree: Tree | undefined): Value {
  if (tree === undefined) return null;
  if (tree.kind === 'scalar') return tree.value;
  if (tree.kind === 'seq') return tree.items.map(plain);
  const value: { [key: string]: Value } = {};
  for (const [key, item] of tree.entries) value[key] = plain(item);
  return value;
}

function describeType(type: string): string {
  return ({ string: 'a string', integer: 'an integer', float: 'a number', boolean: 'true or false', list: 'a list', map: 'a map' } as Record<string, string>)[type] ?? `a ${type}`;
}

function found(tree: Tree | undefined): string {
  if (tree === undefined || (tree.kind === 'scalar' && tree.value === null)) return 'nothing';
  if (tree.kind === 'map') return 'a map';
  if (tree.kind === 'seq') return 'a list';
  return typeof tree.value === 'string' ? JSON.stringify(tree.value) : `${typeof tree.value} ${tree.text}`;
}

function shown(value: Value): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) || typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** How values of a type compare, and how a constraint's operand reads as one of them. */
interface Comparison {
  of(value: Value): number | string | undefined;
  operand(tree: Tree | undefined): number | string | undefined;
}

const TEXTUAL_TYPES = new Set(['string', 'version', 'timestamp']);

/** Scalar units compare by their amount in the base unit; text as written (`1.0` stays "1.0"); the rest as is. */
function comparisonFor(type: string): Comparison {
  if (isScalarUnitType(type)) {
    const of = (value: Value) => (typeof value === 'string' ? parseScalar(type, value) : undefined);
    return { of, operand: (tree) => of(scalarText(tree) ?? null) };
  }
  if (TEXTUAL_TYPES.has(type)) {
    return { of: (value) => (typeof value === 'string' ? value : undefined), operand: (tree) => scalarText(tree) };
  }
  const of = (value: Value) => (typeof value === 'number' || typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : undefined);
  return { of, operand: (tree) => (tree?.kind === 'scalar' ? of(tree.value) : undefined) };
}

type Clause = (comparison: Comparison, value: Value, operand: Located) => string | undefined;

const order =
  (holds: (actual: number | string, bound: number | string) => boolean, words: string): Clause =>
  (comparison, value, operand) => {
    const bound = comparison.operand(operand.tree);
    // A range is within bounds when both its ends are; an UNBOUNDED end has nothing to compare.
    const actuals = Array.isArray(value) ? value.filter((end) => end !== 'UNBOUNDED') : [value];
    for (const item of actuals) {
      const actual = comparison.of(item);
      if (actual === undefined || bound === undefined || typeof actual !== typeof bound) continue;
      if (!holds(actual, bound)) return `is not ${words} ${scalarText(operand.tree)}`;
    }
    return undefined;
  };

const length =
  (holds: (actual: number, bound: number) => boolean, words: string): Clause =>
  (_comparison, value, operand) => {
    const bound = operand.tree?.kind === 'scalar' ? operand.tree.value : undefined;
    const actual = typeof value === 'string' || Array.isArray(value) ? value.length : value !== null && typeof value === 'object' ? Object.keys(value).length : undefined;
    if (typeof bound !== 'number' || actual === undefined) return undefined;
    return holds(actual, bound) ? undefined : `has length ${actual}, not ${words} ${bound}`;
  };

function sameAs(comparison: Comparison, value: Value, operand: Located): boolean {
  const expected = comparison.operand(operand.tree);
  const actual = comparison.of(value);
  if (expected !== undefined && actual !== undefined) return expected === actual;
  return JSON.stringify(plain(operand.tree)) === JSON.stringify(value);
}

const atLeast = order((actual, bound) => actual >= bound, 'greater than or equal to');
const atMost = order((actual, bound) => actual <= bound, 'less than or equal to');

/** The TOSCA constraint clauses; each answers why the value breaks it, or undefined when it holds. */
const CONSTRAINTS: Readonly<Record<string, Clause>> = {
  equal: (comparison, value, operand) => (sameAs(comparison, value, operand) ? undefined : `is not equal to ${JSON.stringify(plain(operand.tree))}`),
  greater_than: order((actual, bound) => actual > bound, 'greater than'),
  greater_or_equal: atLeast,
  less_than: order((actual, bound) => actual < bound, 'less than'),
  less_or_equal: atMost,
  in_range: (comparison, value, operand) => {
    const [lower, upper] = itemsOf(operand);
    if (!lower || !upper) return undefined;
    const unbounded = scalarText(upper.tree) === 'UNBOUNDED';
    const failure = atLeast(comparison, value, lower) ?? (unbounded ? undefined : atMost(comparison, value, upper));
    return failure === undefined ? undefined : `is not in the range [${scalarText(lower.tree)}, ${scalarText(upper.tree)}]`;
  },
  valid_values: (comparison, value, operand) =>
    itemsOf(operand).some((candidate) => sameAs(comparison, value, candidate)) ? undefined : `is not one of ${JSON.stringify(plain(operand.tree))}`,
  length: length((actual, bound) => actual === bound, 'exactly'),
  min_length: length((actual, bound) => actual >= bound, 'at least'),
  max_length: length((actual, bound) => actual <= bound, 'at most'),
  pattern: (_comparison, value, operand) => {
    const source = scalarText(operand.tree);
    if (typeof value !== 'string' || source === undefined) return undefined;
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${source})$`, 'u');
    } catch {
      return undefined;
    }
    return pattern.test(value) ? undefined : `does not match the pattern ${source}`;
  },
};

/** Reading evaluated values: each answers undefined when the value is not of the asked shape. */
export const read = {
  text: (value: Value | undefined): string | undefined => (typeof value === 'string' ? value : undefined),
  integer: (value: Value | undefined): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined),
  boolean: (value: Value | undefined): boolean | undefined => (typeof value === 'boolean' ? value : undefined),
  list: (value: Value | undefined): Value[] => (Array.isArray(value) ? value : []),
  record: (value: Value | undefined): { [key: string]: Value } =>
    value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {},
  /** Follows keys through nested records. */
  at: (value: Value | undefined, ...keys: readonly string[]): Value | undefined => {
    let current = value;
    for (const key of keys) current = read.record(current)[key];
    return current;
  },
};
