import type { Problems, Site } from './problems.js';
import type { ServiceTemplate, TemplateDocument } from './service-template.js';
import { readPropertyDefinition, schemaOf, schemasOf, type Schema } from './tosca-types.js';
import { Evaluator, plain, type InputScope, type InputValue, type Owner, type Value } from './tosca-values.js';
import { child, entriesOf, isNullish, itemsOf, scalarText, treeOf, type Located } from './yaml-tree.js';

/**
 * One topology template read against the types: node templates with their properties, capabilities,
 * requirements and artifacts evaluated; policies and groups with their targets checked; substitution
 * mappings. Everything a VNFD or NSD model needs, as plain data with sites for later problems.
 */
export interface RequirementAssignment {
  name: string;
  /** The target node template (checked to exist). */
  node: string | undefined;
  capability: string | undefined;
  site: Site;
}

export interface ArtifactAssignment {
  name: string;
  type: string | undefined;
  file: string | undefined;
  site: Site;
}

export interface NodeTemplate {
  name: string;
  type: string;
  /** False when the type is not declared: the node is kept so that references to it do not cascade. */
  typed: boolean;
  located: Located;
  properties: Record<string, Value>;
  capabilities: Map<string, Record<string, Value>>;
  requirements: RequirementAssignment[];
  artifacts: ArtifactAssignment[];
}

export interface PolicyTemplate {
  name: string;
  type: string;
  properties: Record<string, Value>;
  targets: string[];
  located: Located;
}

export interface GroupTemplate {
  name: string;
  type: string;
  properties: Record<string, Value>;
  members: string[];
  located: Located;
}

export interface Substitution {
  nodeType: string;
  /** Property values the substituted node must have for this template to apply (`flavour_id: simple`). */
  properties: Record<string, Value>;
  /** Requirements of the substituted node mapped to `[node template, requirement]`. */
  requirements: Array<{ name: string; node: string; requirement: string; site: Site }>;
  located: Located;
}

export interface Topology {
  document: TemplateDocument;
  located: Located;
  nodes: Map<string, NodeTemplate>;
  policies: PolicyTemplate[];
  groups: Map<string, GroupTemplate>;
  substitution: Substitution | undefined;
}

const TOPOLOGY = 'topology_template';

export function hasSubstitution(document: TemplateDocument): boolean {
  return child(child(document.root, TOPOLOGY), 'substitution_mappings').tree?.kind === 'map';
}

/**
 * Reads the topology template of a document. `supplied` are input values given from outside: for a
 * deployment flavour, the properties of the VNF node it substitutes.
 */
export function readTopology(
  document: TemplateDocument,
  template: ServiceTemplate,
  problems: Problems,
  supplied: Readonly<Record<string, Value>> = {},
): Topology {
  return new TopologyReader(template, problems).read(document, supplied);
}

class TopologyReader {
  private readonly evaluator: Evaluator;

  constructor(
    private readonly template: ServiceTemplate,
    private readonly problems: Problems,
  ) {
    this.evaluator = new Evaluator(template.registry, problems);
  }

  private get registry() {
    return this.template.registry;
  }

  read(document: TemplateDocument, supplied: Readonly<Record<string, Value>>): Topology {
    const located = child(document.root, TOPOLOGY);
    if (located.tree !== undefined && located.tree.kind !== 'map') this.shape(located, 'topology_template is a map');
    const substitutionLocated = child(located, 'substitution_mappings');
    const substitution = isNullish(substitutionLocated.tree) ? undefined : this.substitution(substitutionLocated);
    const inputs = this.inputs(child(located, 'inputs'), { ...supplied, ...(substitution?.properties ?? {}) });
    const nodes = new Map<string, NodeTemplate>();
    const nodeTemplates = child(located, 'node_templates');
    if (!isNullish(nodeTemplates.tree) && nodeTemplates.tree?.kind !== 'map') this.shape(nodeTemplates, 'node_templates is a map of node templates by name');
    for (const [name, node] of entriesOf(nodeTemplates)) nodes.set(name, this.node(name, node, inputs));
    for (const node of nodes.values()) this.checkRequirementTargets(node, nodes);
    const groups = this.groups(child(located, 'groups'), inputs, nodes);
    const policies = this.policies(child(located, 'policies'), inputs, nodes, groups);
    if (substitution) this.checkSubstitutionTargets(substitution, nodes);
    return { document, located, nodes, policies, groups, substitution };
  }

  private inputs(located: Located, supplied: Readonly<Record<string, Value>>): InputScope {
    const definitions = new Map<string, Schema>(entriesOf(located).map(([name, definition]) => [name, schemaOf(readPropertyDefinition(definition))]));
    const resolved = new Map<string, InputValue>();
    const noInputs: InputScope = { resolve: () => ({ kind: 'failed' }) };
    const scope: InputScope = {
      resolve: (name, site) => {
        const definition = definitions.get(name);
        if (!definition) {
          this.problems.error('unknown-input', `get_input names "${name}", which topology_template.inputs does not declare`, site);
          return { kind: 'failed' };
        }
        const known = resolved.get(name);
        if (known) return known;
        const owner: Owner = { path: [TOPOLOGY, 'inputs', name], inputs: noInputs };
        const given = supplied[name];
        const value: Located | undefined =
          given !== undefined ? { tree: treeOf(given, site.at ?? definition.site.at ?? { line: 1, column: 1 }), site } : definition.default;
        let result: InputValue = { kind: 'deferred' };
        if (value !== undefined && !isNullish(value.tree)) {
          const outcome = this.evaluator.value(owner, { ...definition, required: false }, value, []);
          result = typeof outcome === 'object' ? { kind: 'value', value: outcome.value, at: { tree: treeOf(outcome.value, value.site.at ?? { line: 1, column: 1 }), site: value.site } } : { kind: outcome === 'deferred' ? 'deferred' : 'failed' };
        }
        resolved.set(name, result);
        return result;
      },
    };
    for (const [name, definition] of entriesOf(located)) scope.resolve(name, definition.site);
    return scope;
  }

  private node(name: string, located: Located, inputs: InputScope): NodeTemplate {
    const path = [...located.site.path];
    const typeLocated = child(located, 'type');
    const type = scalarText(typeLocated.tree) ?? '';
    const node: NodeTemplate = { name, type, typed: false, located, properties: {}, capabilities: new Map(), requirements: [], artifacts: [] };
    if (located.tree?.kind !== 'map') {
      this.shape(located, `node template ${name} is a map with at least "type:"`);
      return node;
    }
    if (type === '') {
      this.shape(typeLocated, `node template ${name} has no type`);
      return node;
    }
    if (!this.registry.find('node', type)) {
      this.problems.error('unknown-node-type', `node type ${type} is not declared by any imported definition`, { ...typeLocated.site, path });
      return node;
    }
    node.typed = true;
    const owner: Owner = { path, inputs };
    node.properties = this.evaluator.properties(owner, this.registry.properties('node', type), child(located, 'properties'));
    node.capabilities = this.capabilities(node, child(located, 'capabilities'), inputs);
    node.requirements = this.requirements(node, child(located, 'requirements'));
    node.artifacts = this.artifacts(child(located, 'artifacts'));
    return node;
  }

  private capabilities(node: NodeTemplate, located: Located, inputs: InputScope): Map<string, Record<string, Value>> {
    const definitions = this.registry.capabilities(node.type);
    const capabilities = new Map<string, Record<string, Value>>();
    for (const [name, definition] of definitions) {
      const levels = definition.type === undefined ? [] : this.registry.chain('capability', definition.type).map((level) => level.properties);
      const schemas = schemasOf([definition.properties, ...levels]);
      const given = child(located, name);
      const owner: Owner = { path: given.site.path, inputs };
      capabilities.set(name, this.evaluator.properties(owner, schemas, child(given, 'properties')));
    }
    for (const [name, given] of entriesOf(located)) {
      if (!definitions.has(name)) this.problems.warn('unknown-capability', `${node.type} has no capability ${name}; it is ignored`, given.site);
    }
    return capabilities;
  }

  private requirements(node: NodeTemplate, located: Located): RequirementAssignment[] {
    const definitions = this.registry.requirements(node.type);
    const assignments: RequirementAssignment[] = [];
    for (const item of itemsOf(located)) {
      for (const [name, target] of entriesOf(item)) {
        if (isNullish(target.tree)) continue;
        if (!definitions.has(name)) this.problems.warn('unknown-requirement', `${node.type} has no requirement ${name}`, target.site);
        const nodeName = target.tree?.kind === 'scalar' ? scalarText(target.tree) : scalarText(child(target, 'node').tree);
        assignments.push({ name, node: nodeName, capability: scalarText(child(target, 'capability').tree), site: target.site });
      }
    }
    if (!isNullish(located.tree) && located.tree?.kind !== 'seq') this.shape(located, 'requirements is a list of one-entry maps');
    return assignments;
  }

  private checkRequirementTargets(node: NodeTemplate, nodes: ReadonlyMap<string, NodeTemplate>): void {
    if (!node.typed) return;
    const definitions = this.registry.requirements(node.type);
    for (const requirement of node.requirements) {
      if (requirement.node === undefined) continue;
      const target = nodes.get(requirement.node);
      if (!target) {
        this.problems.error('unknown-target', `requirement ${requirement.name} points at ${requirement.node}, which is not a node template of this topology`, requirement.site);
        continue;
      }
      const wanted = definitions.get(requirement.name)?.node;
      if (wanted !== undefined && target.typed && !this.registry.isA('node', target.type, wanted)) {
        this.problems.error('requirement-target-type', `requirement ${requirement.name} needs a ${wanted}, but ${target.name} is a ${target.type}`, requirement.site);
      }
    }
  }

  private artifacts(located: Located): ArtifactAssignment[] {
    return entriesOf(located).map(([name, artifact]) => {
      const short = artifact.tree?.kind === 'scalar';
      const type = short ? undefined : scalarText(child(artifact, 'type').tree);
      const fileLocated = short ? artifact : child(artifact, 'file');
      if (type !== undefined && !this.registry.find('artifact', type)) {
        this.problems.error('unknown-type', `artifact ${name} has the undeclared type ${type}`, child(artifact, 'type').site);
      }
      return { name, type, file: scalarText(fileLocated.tree), site: fileLocated.site };
    });
  }

  private groups(located: Located, inputs: InputScope, nodes: ReadonlyMap<string, NodeTemplate>): Map<string, GroupTemplate> {
    const groups = new Map<string, GroupTemplate>();
    for (const [name, group] of entriesOf(located)) {
      const typed = this.typedEntry('group', name, group, inputs);
      if (!typed) continue;
      const members = this.names(child(group, 'members'));
      groups.set(name, { name, ...typed, members: members.map((member) => member.name), located: group });
      const allowed = this.registry.targets('group', typed.type);
      for (const member of members) {
        const target = nodes.get(member.name);
        if (!target) this.problems.error('unknown-target', `group ${name} has the member ${member.name}, which is not a node template`, member.site);
        else if (allowed && target.typed && !allowed.some((type) => this.registry.isA('node', target.type, type))) {
          this.problems.error('group-member-type', `${member.name} is a ${target.type}; members of ${typed.type} are ${allowed.join(', ')}`, member.site);
        }
      }
    }
    return groups;
  }

  private policies(located: Located, inputs: InputScope, nodes: ReadonlyMap<string, NodeTemplate>, groups: ReadonlyMap<string, GroupTemplate>): PolicyTemplate[] {
    // Policies are a list of one-entry maps; a plain map of policies by name is read too.
    const entries = located.tree?.kind === 'seq' ? itemsOf(located).flatMap((item) => entriesOf(item)) : entriesOf(located);
    const policies: PolicyTemplate[] = [];
    for (const [name, policy] of entries) {
      const typed = this.typedEntry('policy', name, policy, inputs);
      if (!typed) continue;
      const targets = this.names(child(policy, 'targets'));
      policies.push({ name, ...typed, targets: targets.map((target) => target.name), located: policy });
      const allowed = this.registry.targets('policy', typed.type);
      for (const target of targets) {
        const node = nodes.get(target.name);
        const group = groups.get(target.name);
        if (!node && !group) {
          this.problems.error('unknown-target', `policy ${name} targets ${target.name}, which is neither a node template nor a group`, target.site);
          continue;
        }
        const fits = (type: string) => (node ? !node.typed || this.registry.isA('node', node.type, type) : this.registry.isA('group', group?.type ?? '', type));
        if (allowed && !allowed.some(fits)) {
          this.problems.error('policy-target-type', `${target.name} is a ${node?.type ?? group?.type}; ${typed.type} targets ${allowed.join(', ')}`, target.site);
        }
      }
    }
    return policies;
  }

  /** A policy or group: its declared type and evaluated properties (undefined when the type is unknown). */
  private typedEntry(kind: 'policy' | 'group', name: string, located: Located, inputs: InputScope): { type: string; properties: Record<string, Value> } | undefined {
    const typeLocated = child(located, 'type');
    const type = scalarText(typeLocated.tree);
    if (type === undefined || !this.registry.find(kind, type)) {
      this.problems.error('unknown-type', `${kind} ${name} has ${type === undefined ? 'no type' : `the undeclared type ${type}`}`, typeLocated.site);
      return undefined;
    }
    const owner: Owner = { path: located.site.path, inputs };
    return { type, properties: this.evaluator.properties(owner, this.registry.properties(kind, type), child(located, 'properties')) };
  }

  private substitution(located: Located): Substitution | undefined {
    const typeLocated = child(located, 'node_type');
    const nodeType = scalarText(typeLocated.tree);
    if (nodeType === undefined || !this.registry.find('node', nodeType)) {
      this.problems.error('unknown-node-type', `substitution_mappings.node_type ${nodeType ?? 'is missing'}${nodeType === undefined ? '' : ' is not declared by any imported definition'}`, typeLocated.site);
      return undefined;
    }
    const properties: Record<string, Value> = {};
    for (const [name, value] of entriesOf(child(located, 'properties'))) {
      // `[ input_name ]` maps the property to an input instead of fixing its value.
      if (value.tree?.kind !== 'seq') properties[name] = plain(value.tree);
    }
    const requirements: Substitution['requirements'] = [];
    for (const [name, mapping] of entriesOf(child(located, 'requirements'))) {
      const [node, requirement] = itemsOf(mapping).map((item) => scalarText(item.tree));
      if (node !== undefined && requirement !== undefined) requirements.push({ name, node, requirement, site: mapping.site });
      else if (!(mapping.tree?.kind === 'seq' && mapping.tree.items.length === 0)) this.shape(mapping, `requirement mapping ${name} is [ node_template, requirement ]`);
    }
    return { nodeType, properties, requirements, located };
  }

  private checkSubstitutionTargets(substitution: Substitution, nodes: ReadonlyMap<string, NodeTemplate>): void {
    for (const mapping of substitution.requirements) {
      if (!nodes.has(mapping.node)) {
        this.problems.error('unknown-target', `requirement mapping ${mapping.name} names ${mapping.node}, which is not a node template`, mapping.site);
      }
    }
  }

  private names(located: Located): Array<{ name: string; site: Site }> {
    return itemsOf(located).flatMap((item) => {
      const name = scalarText(item.tree);
      return name === undefined ? [] : [{ name, site: item.site }];
    });
  }

  private shape(located: Located, message: string): void {
    this.problems.error('tosca-syntax', message, located.site);
  }
}

