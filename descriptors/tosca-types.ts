import type { Problems, Site } from './problems.js';
import { isScalarUnitType } from './scalar.js';
import { child, entriesOf, isNullish, itemsOf, scalarText, type Located } from './yaml-tree.js';

/**
 * The TOSCA types of a service template and everything it imports: declared once per kind, read along their
 * `derived_from` chains. A derived type refines what it redefines (a property definition given again in a
 * derived type replaces the fields it names) and inherits the rest.
 */
export type TypeKind = 'node' | 'data' | 'capability' | 'relationship' | 'policy' | 'group' | 'artifact' | 'interface';

/** Which section of a TOSCA file declares which kind. */
const TYPE_SECTIONS: ReadonlyArray<readonly [string, TypeKind]> = [
  ['node_types', 'node'],
  ['data_types', 'data'],
  ['capability_types', 'capability'],
  ['relationship_types', 'relationship'],
  ['policy_types', 'policy'],
  ['group_types', 'group'],
  ['artifact_types', 'artifact'],
  ['interface_types', 'interface'],
];

const PRIMITIVE_TYPES = new Set(['string', 'integer', 'float', 'boolean', 'timestamp', 'version', 'range', 'list', 'map', 'null']);

/** A property (or input, or entry schema) definition as written: fields left out are inherited. */
export interface PropertyDefinition {
  type: string | undefined;
  required: boolean | undefined;
  default: Located | undefined;
  constraints: Located[] | undefined;
  entrySchema: PropertyDefinition | undefined;
  keySchema: PropertyDefinition | undefined;
  site: Site;
}

/** A property definition with its inheritance applied: what values are checked against. */
export interface Schema {
  type: string;
  required: boolean;
  default: Located | undefined;
  constraints: Located[];
  entrySchema: Schema | undefined;
  keySchema: Schema | undefined;
  site: Site;
}

export interface RequirementDefinition {
  capability: string | undefined;
  node: string | undefined;
  relationship: string | undefined;
}

export interface TypeDefinition {
  kind: TypeKind;
  name: string;
  derivedFrom: string | undefined;
  site: Site;
  properties: Map<string, PropertyDefinition>;
  /** Constraints of a data type derived from a primitive type. */
  constraints: Located[];
  capabilities: Map<string, { type: string | undefined; properties: Map<string, PropertyDefinition>; site: Site }>;
  requirements: Map<string, RequirementDefinition>;
  /** Node or group types a policy type may target, or a group type may have as members. */
  targets: string[] | undefined;
}

export class TypeRegistry {
  private readonly types = new Map<TypeKind, Map<string, TypeDefinition>>();

  /** Reads every type section of one TOSCA file. */
  declareFrom(document: Located, problems: Problems): void {
    for (const [section, kind] of TYPE_SECTIONS) {
      for (const [name, located] of entriesOf(child(document, section))) {
        const definition = readTypeDefinition(kind, name, located);
        const known = this.kind(kind);
        const earlier = known.get(name);
        if (earlier) {
          problems.warn('duplicate-type', `${name} is declared again (first in ${earlier.site.file}); the first declaration is used`, located.site);
          continue;
        }
        known.set(name, definition);
      }
    }
  }

  find(kind: TypeKind, name: string): TypeDefinition | undefined {
    return this.types.get(kind)?.get(name);
  }

  /** The type and its ancestors, nearest first; stops where a parent is unknown or the chain loops. */
  chain(kind: TypeKind, name: string): TypeDefinition[] {
    const chain: TypeDefinition[] = [];
    let current = this.find(kind, name);
    while (current && !chain.includes(current)) {
      chain.push(current);
      current = current.derivedFrom === undefined ? undefined : this.find(kind, current.derivedFrom);
    }
    return chain;
  }

  isA(kind: TypeKind, name: string, ancestor: string): boolean {
    return this.chain(kind, name).some((definition) => definition.name === ancestor);
  }

  /** The property definitions of a type with everything it inherits, in declaration order (ancestors first). */
  properties(kind: TypeKind, name: string): Map<string, Schema> {
    return schemasOf(this.chain(kind, name).map((definition) => definition.properties));
  }

  capabilities(nodeType: string): Map<string, { type: string | undefined; properties: Map<string, PropertyDefinition>; site: Site }> {
    const merged = new Map<string, { type: string | undefined; properties: Map<string, PropertyDefinition>; site: Site }>();
    for (const definition of [...this.chain('node', nodeType)].reverse()) {
      for (const [name, capability] of definition.capabilities) {
        const earlier = merged.get(name);
        merged.set(name, { ...capability, type: capability.type ?? earlier?.type });
      }
    }
    return merged;
  }

  requirements(nodeType: string): Map<string, RequirementDefinition> {
    const merged = new Map<string, RequirementDefinition>();
    for (const definition of [...this.chain('node', nodeType)].reverse()) {
      for (const [name, requirement] of definition.requirements) {
        const earlier = merged.get(name);
        merged.set(name, {
          capability: requirement.capability ?? earlier?.capability,
          node: requirement.node ?? earlier?.node,
          relationship: requirement.relationship ?? earlier?.relationship,
        });
      }
    }
    return merged;
  }

  /** The target (policy) or member (group) types, from the nearest type that declares them. */
  targets(kind: 'policy' | 'group', name: string): string[] | undefined {
    return this.chain(kind, name).find((definition) => definition.targets !== undefined)?.targets;
  }

  /** The primitive type a data type stands for (`tosca.datatypes.network.PortDef` is an integer), if any. */
  primitiveOf(type: string): string | undefined {
    if (PRIMITIVE_TYPES.has(type) || isScalarUnitType(type)) return type;
    const root = this.chain('data', type).at(-1);
    return root?.derivedFrom !== undefined && (PRIMITIVE_TYPES.has(root.derivedFrom) || isScalarUnitType(root.derivedFrom)) ? root.derivedFrom : undefined;
  }

  isKnownValueType(type: string): boolean {
    return this.primitiveOf(type) !== undefined || this.find('data', type) !== undefined;
  }

  /**
   * Checks the declarations themselves: every parent exists, no chain loops, every property type and
   * capability type is declared.
   */
  check(problems: Problems): void {
    for (const [kind, byName] of this.types) {
      for (const definition of byName.values()) {
        this.checkParent(kind, definition, problems);
        for (const [name, property] of definition.properties) this.checkPropertyType(`${definition.name}.${name}`, property, problems);
        for (const [name, capability] of definition.capabilities) {
          if (capability.type !== undefined && !this.find('capability', capability.type)) {
            problems.error('unknown-type', `capability ${name} of ${definition.name} has the undeclared type ${capability.type}`, capability.site);
          }
        }
      }
    }
  }

  private checkParent(kind: TypeKind, definition: TypeDefinition, problems: Problems): void {
    const parent = definition.derivedFrom;
    if (parent === undefined) return;
    if (kind === 'data' && (PRIMITIVE_TYPES.has(parent) || isScalarUnitType(parent))) return;
    if (!this.find(kind, parent)) {
      problems.error('unknown-type', `${definition.name} is derived from ${parent}, which no imported definition declares`, definition.site);
      return;
    }
    const seen = new Set<string>([definition.name]);
    for (let current = this.find(kind, parent); current; current = current.derivedFrom === undefined ? undefined : this.find(kind, current.derivedFrom)) {
      if (seen.has(current.name)) {
        problems.error('type-cycle', `the derived_from chain of ${definition.name} comes back to ${current.name}`, definition.site);
        return;
      }
      seen.add(current.name);
    }
  }

  private checkPropertyType(what: string, property: PropertyDefinition, problems: Problems): void {
    if (property.type !== undefined && !this.isKnownValueType(property.type)) {
      problems.error('unknown-type', `${what} has the undeclared type ${property.type}`, property.site);
    }
    if (property.entrySchema) this.checkPropertyType(`${what} entry_schema`, property.entrySchema, problems);
    if (property.keySchema) this.checkPropertyType(`${what} key_schema`, property.keySchema, problems);
  }

  private kind(kind: TypeKind): Map<string, TypeDefinition> {
    let byName = this.types.get(kind);
    if (!byName) {
      byName = new Map();
      this.types.set(kind, byName);
    }
    return byName;
  }
}

/** Merges property definitions along a chain given ancestors last (as `chain` answers them). */
export function schemasOf(levels: ReadonlyArray<Map<string, PropertyDefinition>>): Map<string, Schema> {
  const merged = new Map<string, PropertyDefinition>();
  for (const level of [...levels].reverse()) {
    for (const [name, definition] of level) merged.set(name, refine(merged.get(name), definition));
  }
  return new Map([...merged].map(([name, definition]) => [name, schemaOf(definition)]));
}

function refine(inherited: PropertyDefinition | undefined, definition: PropertyDefinition): PropertyDefinition {
  if (!inherited) return definition;
  return {
    type: definition.type ?? inherited.type,
    required: definition.required ?? inherited.required,
    default: definition.default ?? inherited.default,
    constraints: definition.constraints ?? inherited.constraints,
    entrySchema: definition.entrySchema ?? inherited.entrySchema,
    keySchema: definition.keySchema ?? inherited.keySchema,
    site: definition.site,
  };
}

export function schemaOf(definition: PropertyDefinition): Schema {
  return {
    type: definition.type ?? 'string',
    required: definition.required ?? true,
    default: definition.default,
    constraints: definition.constraints ?? [],
    entrySchema: definition.entrySchema && schemaOf(definition.entrySchema),
    keySchema: definition.keySchema && schemaOf(definition.keySchema),
    site: definition.site,
  };
}

/** Reads a property, input or schema definition; `entry_schema: string` is short for `{ type: string }`. */
export function readPropertyDefinition(located: Located): PropertyDefinition {
  const tree = located.tree;
  if (tree?.kind === 'scalar') {
    return { type: scalarText(tree), required: undefined, default: undefined, constraints: undefined, entrySchema: undefined, keySchema: undefined, site: located.site };
  }
  const field = (name: string) => child(located, name);
  const required = field('required').tree;
  const constraints = field('constraints');
  const defaultValue = field('default');
  const entrySchema = field('entry_schema');
  const keySchema = field('key_schema');
  return {
    type: scalarText(field('type').tree),
    required: required?.kind === 'scalar' && typeof required.value === 'boolean' ? required.value : undefined,
    default: defaultValue.tree === undefined ? undefined : defaultValue,
    constraints: isNullish(constraints.tree) ? undefined : itemsOf(constraints),
    entrySchema: isNullish(entrySchema.tree) ? undefined : readPropertyDefinition(entrySchema),
    keySchema: isNullish(keySchema.tree) ? undefined : readPropertyDefinition(keySchema),
    site: located.site,
  };
}

function readPropertyDefinitions(located: Located): Map<string, PropertyDefinition> {
  return new Map(entriesOf(located).map(([name, definition]) => [name, readPropertyDefinition(definition)]));
}

function readTypeDefinition(kind: TypeKind, name: string, located: Located): TypeDefinition {
  const field = (key: string) => child(located, key);
  const capabilities = new Map<string, { type: string | undefined; properties: Map<string, PropertyDefinition>; site: Site }>();
  for (const [capabilityName, capability] of entriesOf(field('capabilities'))) {
    const type = capability.tree?.kind === 'scalar' ? scalarText(capability.tree) : scalarText(child(capability, 'type').tree);
    capabilities.set(capabilityName, { type, properties: readPropertyDefinitions(child(capability, 'properties')), site: capability.site });
  }
  const requirements = new Map<string, RequirementDefinition>();
  for (const item of itemsOf(field('requirements'))) {
    for (const [requirementName, requirement] of entriesOf(item)) {
      const text = (key: string) => scalarText(child(requirement, key).tree);
      requirements.set(
        requirementName,
        requirement.tree?.kind === 'scalar'
          ? { capability: scalarText(requirement.tree), node: undefined, relationship: undefined }
          : { capability: text('capability'), node: text('node'), relationship: text('relationship') },
      );
    }
  }
  const targetList = kind === 'group' ? field('members') : field('targets');
  return {
    kind,
    name,
    derivedFrom: scalarText(field('derived_from').tree),
    site: located.site,
    properties: readPropertyDefinitions(field('properties')),
    constraints: itemsOf(field('constraints')),
    capabilities,
    requirements,
    targets: targetList.tree?.kind === 'seq' ? itemsOf(targetList).flatMap((item) => scalarText(item.tree) ?? []) : undefined,
  };
}
