import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { installNeutronErrors, tenantScope, type Principal, type ProblemError, type Repository, type Versioned, type Write } from '../../platform/index.js';
import type { PortDirectory } from '../../vim/networks/index.js';
import { chainIdInUse, claimChainId, freeChainId, ownerOf, releaseChainId, unchangedSince, type SfcRepositories } from './repositories.js';
import { invalidInput, sfcError } from './errors.js';
import {
  type Ethertype,
  type FlowClassifier,
  type LbField,
  type PortChain,
  type PortPair,
  type PortPairGroup,
  type ServiceGraph,
  PROTOCOL_NUMBERS,
} from './model.js';
import * as schemas from './networking-sfc-schemas.js';
import { parseIpPrefix, prefixesOverlap } from './prefixes.js';
import { ownedView, registerResource, visibleResource } from './resource-routes.js';
import { CHAIN_ID_MAX } from '../chains/model.js';

interface Named {
  name?: string | null;
  description?: string | null;
}
interface Owned extends Named {
  tenant_id?: string;
  project_id?: string;
}

export interface FlowClassifierCreation extends Owned {
  ethertype?: string | null;
  protocol?: string | number | null;
  source_port_range_min?: number | null;
  source_port_range_max?: number | null;
  destination_port_range_min?: number | null;
  destination_port_range_max?: number | null;
  source_ip_prefix?: string | null;
  destination_ip_prefix?: string | null;
  logical_source_port?: string | null;
  logical_destination_port?: string | null;
  l7_parameters?: Record<string, unknown> | null;
}
export interface PortPairCreation extends Owned {
  ingress: string;
  egress: string;
  service_function_parameters?: { correlation?: string | null; weight?: number | string } | null;
}
export interface PortPairGroupCreation extends Owned {
  port_pairs?: string[] | null;
  port_pair_group_parameters?: { lb_fields?: LbField[] } | null;
}
export interface PortPairGroupUpdate extends Named {
  port_pairs?: string[] | null;
}
export interface PortChainCreation extends Owned {
  chain_id?: number;
  port_pair_groups?: string[];
  flow_classifiers?: string[] | null;
  chain_parameters?: { correlation?: string; symmetric?: boolean | string } | null;
}
export interface PortChainUpdate extends Named {
  port_pair_groups?: string[];
  flow_classifiers?: string[] | null;
}
export interface ServiceGraphCreation extends Owned {
  port_chains: Record<string, string[]>;
}

const TRANSPORT_PROTOCOLS = new Set(['tcp', 'udp']);
const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOL_NUMBERS).map(([name, number]) => [number, name]));
const FC = '/flow_classifier';

const fcNotFound = (id: string): ProblemError => sfcError(404, 'FlowClassifierNotFound', `Flow Classifier ${id} not found.`);
const ppNotFound = (id: string): ProblemError => sfcError(404, 'PortPairNotFound', `Port Pair ${id} not found.`);
const ppgNotFound = (id: string): ProblemError => sfcError(404, 'PortPairGroupNotFound', `Port Pair Group ${id} not found.`);
export const pcNotFound = (id: string): ProblemError => sfcError(404, 'PortChainNotFound', `Port Chain ${id} not found.`);
const sgNotFound = (id: string): ProblemError => sfcError(404, 'ServiceGraphNotFound', `Service Graph ${id} not found.`);

function normalizedEthertype(value: string | null | undefined): Ethertype {
  if (value === null || value === undefined) return 'IPv4';
  const found = (['IPv4', 'IPv6'] as const).find((ethertype) => ethertype.toLowerCase() === value.toLowerCase());
  if (found === undefined) throw invalidInput(`ethertype "${value}" is not one of IPv4, IPv6`, `${FC}/ethertype`);
  return found;
}

/** A known protocol is stored by its name whether given as name or number, so `6` and `tcp` are the same classifier. */
function normalizedProtocol(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value).toLowerCase();
  if (PROTOCOL_NUMBERS[text] !== undefined) return text;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return PROTOCOL_NAMES.get(Number(text)) ?? String(Number(text));
  throw sfcError(400, 'FlowClassifierInvalidProtocol', `Flow Classifier does not support protocol ${value}. Supported protocol values are ${Object.keys(PROTOCOL_NUMBERS).join(', ')} and numbers 0-255.`, `${FC}/protocol`);
}

function checkPortRange(min: number | null, max: number | null, protocol: string | null, side: 'source' | 'destination'): void {
  if (min !== null && max !== null && min > max) {
    throw sfcError(400, 'FlowClassifierInvalidPortRange', `Invalid IP protocol port range. min_port_range=${min} must be lesser or equal to max_port_range=${max}.`, `${FC}/${side}_port_range_min`);
  }
  if ((min !== null || max !== null) && (protocol === null || !TRANSPORT_PROTOCOLS.has(protocol))) {
    throw sfcError(400, 'FlowClassifierProtocolRequiredWithPorts', 'IP protocol must be TCP or UDP, if port range is given.', `${FC}/protocol`);
  }
}

function checkPrefix(prefix: string | null, ethertype: Ethertype, attribute: string): void {
  if (prefix === null) return;
  const parsed = parseIpPrefix(prefix);
  if (typeof parsed === 'string') throw invalidInput(parsed, `${FC}/${attribute}`);
  if (`IPv${parsed.version}` !== ethertype) {
    throw sfcError(400, 'FlowClassifierIpPrefixFormatConflictWithEthertype', `IP prefix ${prefix} format conflicts with ethertype ${ethertype}.`, `${FC}/${attribute}`);
  }
}

function portRangesOverlap(firstMin: number | null, firstMax: number | null, secondMin: number | null, secondMax: number | null): boolean {
  return (firstMin ?? 0) <= (secondMax ?? 65535) && (secondMin ?? 0) <= (firstMax ?? 65535);
}

function prefixOf(text: string | null) {
  const parsed = text === null ? undefined : parseIpPrefix(text);
  return typeof parsed === 'string' ? undefined : parsed;
}

/**
 * networking-sfc's overlap test of two classifiers (same ethertype, compatible protocol, intersecting
 * prefixes and port ranges), narrowed to the same logical source port (or either absent): only then can
 * one packet entering at one port be claimed by two chains.
 */
export function classifiersOverlap(first: FlowClassifier, second: FlowClassifier): boolean {
  const sameOrAny = (a: string | null, b: string | null) => a === null || b === null || a === b;
  return (
    first.ethertype === second.ethertype &&
    sameOrAny(first.protocol, second.protocol) &&
    prefixesOverlap(prefixOf(first.source_ip_prefix), prefixOf(second.source_ip_prefix)) &&
    prefixesOverlap(prefixOf(first.destination_ip_prefix), prefixOf(second.destination_ip_prefix)) &&
    portRangesOverlap(first.source_port_range_min, first.source_port_range_max, second.source_port_range_min, second.source_port_range_max) &&
    portRangesOverlap(first.destination_port_range_min, first.destination_port_range_max, second.destination_port_range_min, second.destination_port_range_max) &&
    sameOrAny(first.logical_source_port, second.logical_source_port)
  );
}

function named(creation: Named, current?: Named): { name: string; description: string } {
  return { name: creation.name ?? current?.name ?? '', description: creation.description ?? current?.description ?? '' };
}

function duplicateOf(ids: readonly string[]): string | undefined {
  return ids.find((id, index) => ids.indexOf(id) !== index);
}

/** The networking-sfc resources, their validation and the conflict rules of networking-sfc's db layer. */
export class NetworkingSfc {
  constructor(
    private readonly repositories: SfcRepositories,
    private readonly ports: PortDirectory,
  ) {}

  private async all<T extends { id: string; tenantId: string }>(repository: Repository<T>): Promise<T[]> {
    return (await repository.query()).map(({ value }) => value);
  }

  private async referenced<T extends { id: string; tenantId: string }>(repository: Repository<T>, principal: Principal, ids: readonly string[], notFound: (id: string) => ProblemError): Promise<Array<Versioned<T>>> {
    const found: Array<Versioned<T>> = [];
    for (const id of ids) found.push(await visibleResource(repository, principal, id, notFound));
    return found;
  }

  private async port(principal: Principal, portId: string, notFound: ProblemError) {
    const port = await this.ports.port(portId, tenantScope(principal));
    if (port === undefined) throw notFound;
    return port;
  }

  async createFlowClassifier(principal: Principal, creation: FlowClassifierCreation): Promise<FlowClassifier> {
    if (creation.l7_parameters !== null && creation.l7_parameters !== undefined && Object.keys(creation.l7_parameters).length > 0) {
      throw sfcError(400, 'FlowClassifierInvalidL7Parameter', 'Invalid Flow Classifier parameters: l7_parameters cannot be enforced. Supported flow classifier parameters are {}.', `${FC}/l7_parameters`);
    }
    const ethertype = normalizedEthertype(creation.ethertype);
    const protocol = normalizedProtocol(creation.protocol);
    const classifier: FlowClassifier = {
      id: crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, FC),
      ...named(creation),
      ethertype,
      protocol,
      source_port_range_min: creation.source_port_range_min ?? null,
      source_port_range_max: creation.source_port_range_max ?? null,
      destination_port_range_min: creation.destination_port_range_min ?? null,
      destination_port_range_max: creation.destination_port_range_max ?? null,
      source_ip_prefix: creation.source_ip_prefix ?? null,
      destination_ip_prefix: creation.destination_ip_prefix ?? null,
      logical_source_port: creation.logical_source_port ?? null,
      logical_destination_port: creation.logical_destination_port ?? null,
    };
    checkPortRange(classifier.source_port_range_min, classifier.source_port_range_max, protocol, 'source');
    checkPortRange(classifier.destination_port_range_min, classifier.destination_port_range_max, protocol, 'destination');
    checkPrefix(classifier.source_ip_prefix, ethertype, 'source_ip_prefix');
    checkPrefix(classifier.destination_ip_prefix, ethertype, 'destination_ip_prefix');
    for (const attribute of ['logical_source_port', 'logical_destination_port'] as const) {
      const portId = classifier[attribute];
      if (portId !== null) await this.port(principal, portId, sfcError(404, 'FlowClassifierPortNotFound', `Flow Classifier Neutron Port ${portId} not found.`, `${FC}/${attribute}`));
    }
    await this.repositories.flowClassifiers.insert(classifier);
    return classifier;
  }

  async createPortPair(principal: Principal, creation: PortPairCreation): Promise<PortPair> {
    const parameters = creation.service_function_parameters ?? {};
    const correlation = parameters.correlation ?? null;
    if (correlation !== null && correlation !== 'mpls') {
      const reason = correlation === 'nsh' ? 'correlation nsh is not supported: the flow pipeline has no NSH encapsulation' : `correlation "${correlation}" is not one of null, mpls`;
      throw invalidInput(reason, '/port_pair/service_function_parameters/correlation');
    }
    const weight = Number(parameters.weight ?? 1);
    if (weight < 1) throw invalidInput(`weight ${weight} is below 1`, '/port_pair/service_function_parameters/weight');
    const portOf = (id: string, side: 'ingress' | 'egress') => this.port(principal, id, sfcError(404, 'PortPairPortNotFound', `Port Pair port ${id} not found.`, `/port_pair/${side}`));
    const ingress = await portOf(creation.ingress, 'ingress');
    const egress = await portOf(creation.egress, 'egress');
    if (ingress.deviceId === '') throw sfcError(400, 'PortPairIngressNoHost', `Port Pair ingress port ${ingress.id} does not belong to a host.`, '/port_pair/ingress');
    if (egress.deviceId === '') throw sfcError(400, 'PortPairEgressNoHost', `Port Pair egress port ${egress.id} does not belong to a host.`, '/port_pair/egress');
    if (ingress.deviceId !== egress.deviceId) {
      throw sfcError(400, 'PortPairIngressEgressDifferentHost', `Port Pair ingress port ${ingress.id} and egress port ${egress.id} belong to different devices.`, '/port_pair/egress');
    }
    const existing = (await this.all(this.repositories.portPairs)).find((pair) => pair.ingress === ingress.id && pair.egress === egress.id);
    if (existing !== undefined) {
      throw sfcError(409, 'PortPairIngressEgressInUse', `Port Pair with ingress port ${ingress.id} and egress port ${egress.id} is already used by another Port Pair ${existing.id}.`);
    }
    const pair: PortPair = {
      id: crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, '/port_pair'),
      ...named(creation),
      ingress: ingress.id,
      egress: egress.id,
      service_function_parameters: { correlation, weight },
    };
    await this.repositories.portPairs.insert(pair);
    return pair;
  }

  /** A port pair belongs to one group at most, and a group's pairs agree on their correlation. */
  private async checkGroupMembers(principal: Principal, pairIds: readonly string[], groupId: string | undefined): Promise<Write[]> {
    const duplicate = duplicateOf(pairIds);
    if (duplicate !== undefined) throw invalidInput(`port pair ${duplicate} is listed twice`, '/port_pair_group/port_pairs');
    const read = await this.referenced(this.repositories.portPairs, principal, pairIds, ppNotFound);
    const pairs = read.map(({ value }) => value);
    const groups = await this.all(this.repositories.portPairGroups);
    for (const pair of pairs) {
      const holder = groups.find((group) => group.id !== groupId && group.port_pairs.includes(pair.id));
      if (holder !== undefined) throw sfcError(409, 'PortPairInUse', `Port Pair ${pair.id} in use: it belongs to Port Pair Group ${holder.id}.`);
    }
    if (new Set(pairs.map((pair) => pair.service_function_parameters.correlation)).size > 1) {
      throw sfcError(400, 'InconsistentCorrelations', 'Port Pair Group attempted creation included Port Pairs with inconsistent correlation types.', '/port_pair_group/port_pairs');
    }
    return unchangedSince(this.repositories.portPairs, read);
  }

  async createPortPairGroup(principal: Principal, creation: PortPairGroupCreation): Promise<PortPairGroup> {
    const pairIds = creation.port_pairs ?? [];
    const references = await this.checkGroupMembers(principal, pairIds, undefined);
    const group: PortPairGroup = {
      id: crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, '/port_pair_group'),
      ...named(creation),
      port_pairs: [...pairIds],
      port_pair_group_parameters: { lb_fields: [...(creation.port_pair_group_parameters?.lb_fields ?? [])] },
    };
    await this.repositories.store.commit([this.repositories.portPairGroups.insertWrite(group), ...references]);
    return group;
  }

  async updatePortPairGroup(principal: Principal, { value: current, revision }: Versioned<PortPairGroup>, update: PortPairGroupUpdate): Promise<PortPairGroup> {
    const pairIds = update.port_pairs === undefined ? current.port_pairs : (update.port_pairs ?? []);
    const references = await this.checkGroupMembers(principal, pairIds, current.id);
    if (pairIds.length === 0 && (await this.chainsUsingGroup(current.id)).length > 0) {
      throw sfcError(409, 'PortPairGroupInUse', `Port Pair Group ${current.id} in use: a chain cannot pass through a group without port pairs.`);
    }
    const updated = { ...current, ...named(update, current), port_pairs: [...pairIds] };
    await this.repositories.store.commit([this.repositories.portPairGroups.updateWrite(updated, revision), ...references]);
    return updated;
  }

  private async chainsUsingGroup(groupId: string): Promise<PortChain[]> {
    return (await this.all(this.repositories.portChains)).filter((chain) => chain.port_pair_groups.includes(groupId));
  }

  /** The groups and classifiers of a chain: each group and each classifier serves one chain, classifiers of two chains never overlap. */
  private async checkChainMembers(principal: Principal, groupIds: readonly string[], classifierIds: readonly string[], chainId: string | undefined): Promise<Write[]> {
    if (groupIds.length === 0) throw sfcError(400, 'PortPairGroupNotSpecified', 'Port Pair Group is not specified in Port Chain.', '/port_chain/port_pair_groups');
    const duplicateGroup = duplicateOf(groupIds);
    if (duplicateGroup !== undefined) throw invalidInput(`port pair group ${duplicateGroup} is listed twice`, '/port_chain/port_pair_groups');
    const duplicateClassifier = duplicateOf(classifierIds);
    if (duplicateClassifier !== undefined) throw invalidInput(`flow classifier ${duplicateClassifier} is listed twice`, '/port_chain/flow_classifiers');
    const groupsRead = await this.referenced(this.repositories.portPairGroups, principal, groupIds, ppgNotFound);
    const classifiersRead = await this.referenced(this.repositories.flowClassifiers, principal, classifierIds, fcNotFound);
    const groups = groupsRead.map(({ value }) => value);
    const classifiers = classifiersRead.map(({ value }) => value);
    const otherChains = (await this.all(this.repositories.portChains)).filter((chain) => chain.id !== chainId);
    for (const group of groups) {
      if (group.port_pairs.length === 0) throw invalidInput(`port pair group ${group.id} has no port pairs`, '/port_chain/port_pair_groups');
      const holder = otherChains.find((chain) => chain.port_pair_groups.includes(group.id));
      if (holder !== undefined) throw sfcError(409, 'PortPairGroupInUse', `Port Pair Group ${group.id} in use by Port Chain ${holder.id}.`);
    }
    const allClassifiers = new Map((await this.all(this.repositories.flowClassifiers)).map((classifier) => [classifier.id, classifier]));
    for (const classifier of classifiers) {
      const holder = otherChains.find((chain) => chain.flow_classifiers.includes(classifier.id));
      if (holder !== undefined) throw sfcError(409, 'FlowClassifierInUse', `Flow Classifier ${classifier.id} in use by Port Chain ${holder.id}.`);
      for (const chain of otherChains) {
        const overlapping = chain.flow_classifiers.map((id) => allClassifiers.get(id)).find((other) => other !== undefined && classifiersOverlap(classifier, other));
        if (overlapping !== undefined) {
          throw sfcError(409, 'PortChainFlowClassifierInConflict', `Flow Classifier ${classifier.id} conflicts with Flow Classifier ${overlapping.id} in port chain ${chain.id}.`);
        }
      }
    }
    return [...unchangedSince(this.repositories.portPairGroups, groupsRead), ...unchangedSince(this.repositories.flowClassifiers, classifiersRead)];
  }

  async createPortChain(principal: Principal, creation: PortChainCreation): Promise<PortChain> {
    const correlation = creation.chain_parameters?.correlation ?? 'mpls';
    if (correlation !== 'mpls') {
      const reason = correlation === 'nsh' ? 'correlation nsh is not supported: the flow pipeline has no NSH encapsulation' : `correlation "${correlation}" is not one of mpls, nsh`;
      throw invalidInput(reason, '/port_chain/chain_parameters/correlation');
    }
    const requested = creation.chain_id ?? 0;
    if (requested > CHAIN_ID_MAX) throw invalidInput(`chain_id ${requested} cannot be encoded: the largest is ${CHAIN_ID_MAX}`, '/port_chain/chain_id');
    const groupIds = creation.port_pair_groups ?? [];
    const classifierIds = creation.flow_classifiers ?? [];
    const references = await this.checkChainMembers(principal, groupIds, classifierIds, undefined);
    let chainId = requested;
    if (chainId === 0) {
      const free = await freeChainId(this.repositories);
      if (free === undefined) throw sfcError(409, 'PortChainUnavailableChainId', 'Port Chain has no available chain id.');
      chainId = free;
    } else {
      const holder = await chainIdInUse(this.repositories, chainId);
      if (holder !== undefined) throw sfcError(409, 'PortChainChainIdInConflict', `Chain id ${chainId} conflicts with Chain id in port chain ${holder}.`);
    }
    const chain: PortChain = {
      id: crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, '/port_chain'),
      ...named(creation),
      chain_id: chainId,
      port_pair_groups: [...groupIds],
      flow_classifiers: [...classifierIds],
      chain_parameters: { correlation, symmetric: String(creation.chain_parameters?.symmetric ?? false).toLowerCase() === 'true' },
    };
    await this.repositories.store.commit([this.repositories.portChains.insertWrite(chain), claimChainId(this.repositories, chain), ...references]);
    return chain;
  }

  async updatePortChain(principal: Principal, { value: current, revision }: Versioned<PortChain>, update: PortChainUpdate): Promise<PortChain> {
    const groupIds = update.port_pair_groups ?? current.port_pair_groups;
    const classifierIds = update.flow_classifiers === undefined ? current.flow_classifiers : (update.flow_classifiers ?? []);
    const references = await this.checkChainMembers(principal, groupIds, classifierIds, current.id);
    const updated = { ...current, ...named(update, current), port_pair_groups: [...groupIds], flow_classifiers: [...classifierIds] };
    await this.repositories.store.commit([this.repositories.portChains.updateWrite(updated, revision), ...references]);
    return updated;
  }

  async createServiceGraph(principal: Principal, creation: ServiceGraphCreation): Promise<ServiceGraph> {
    const edges = Object.entries(creation.port_chains);
    const chainIds = [...new Set(edges.flatMap(([source, destinations]) => [source, ...destinations]))];
    const chainsRead = await this.referenced(this.repositories.portChains, principal, chainIds, pcNotFound);
    if (graphHasLoop(creation.port_chains)) throw sfcError(400, 'ServiceGraphLoopDetected', 'Service Graph defined contains at least one port chain loop.', '/service_graph/port_chains');
    const graph: ServiceGraph = {
      id: crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, '/service_graph'),
      ...named(creation),
      port_chains: Object.fromEntries(edges.map(([source, destinations]) => [source, [...destinations]])),
    };
    await this.repositories.store.commit([this.repositories.serviceGraphs.insertWrite(graph), ...unchangedSince(this.repositories.portChains, chainsRead)]);
    return graph;
  }

  async removeFlowClassifier({ value: classifier, revision }: Versioned<FlowClassifier>): Promise<void> {
    const holder = (await this.all(this.repositories.portChains)).find((chain) => chain.flow_classifiers.includes(classifier.id));
    if (holder !== undefined) throw sfcError(409, 'FlowClassifierInUse', `Flow Classifier ${classifier.id} in use by Port Chain ${holder.id}.`);
    await this.repositories.flowClassifiers.delete(classifier.id, revision);
  }

  async removePortPair({ value: pair, revision }: Versioned<PortPair>): Promise<void> {
    const holder = (await this.all(this.repositories.portPairGroups)).find((group) => group.port_pairs.includes(pair.id));
    if (holder !== undefined) throw sfcError(409, 'PortPairInUse', `Port Pair ${pair.id} in use by Port Pair Group ${holder.id}.`);
    await this.repositories.portPairs.delete(pair.id, revision);
  }

  async removePortPairGroup({ value: group, revision }: Versioned<PortPairGroup>): Promise<void> {
    const [holder] = await this.chainsUsingGroup(group.id);
    if (holder !== undefined) throw sfcError(409, 'PortPairGroupInUse', `Port Pair Group ${group.id} in use by Port Chain ${holder.id}.`);
    await this.repositories.portPairGroups.delete(group.id, revision);
  }

  async removePortChain({ value: chain, revision }: Versioned<PortChain>): Promise<void> {
    const holder = (await this.all(this.repositories.serviceGraphs)).find(({ port_chains }) =>
      Object.entries(port_chains).some(([source, destinations]) => source === chain.id || destinations.includes(chain.id)),
    );
    if (holder !== undefined) throw sfcError(409, 'ServiceGraphPortChainInUse', `Port Chain ${chain.id} in use by Service Graph ${holder.id}.`);
    await this.repositories.store.commit([this.repositories.portChains.deleteWrite(chain.id, revision), releaseChainId(this.repositories, chain.chain_id)]);
  }

  routes() {
    return async (scope: FastifyInstance): Promise<void> => {
      installNeutronErrors(scope);
      const base = { tag: 'networking-sfc', view: ownedView };
      const renamed =
        <T extends PortPair | FlowClassifier | ServiceGraph>(repository: Repository<T>) =>
        async (_principal: Principal, { value, revision }: Versioned<T>, update: Named): Promise<T> =>
          (await repository.update({ ...value, ...named(update, value) }, revision)).value;
      registerResource<FlowClassifier, FlowClassifierCreation, Named>(scope, {
        ...base,
        path: '/v2.0/sfc/flow_classifiers',
        singular: 'flow_classifier',
        plural: 'flow_classifiers',
        description: 'networking-sfc flow classifiers: the traffic a port chain takes at its entry.',
        creationSchema: schemas.flowClassifierCreationSchema,
        updateSchema: schemas.flowClassifierUpdateSchema,
        repository: this.repositories.flowClassifiers,
        notFound: fcNotFound,
        update: renamed(this.repositories.flowClassifiers),
        create: (principal, creation: FlowClassifierCreation) => this.createFlowClassifier(principal, creation),
        remove: (classifier) => this.removeFlowClassifier(classifier),
      });
      registerResource<PortPair, PortPairCreation, Named>(scope, {
        ...base,
        path: '/v2.0/sfc/port_pairs',
        singular: 'port_pair',
        plural: 'port_pairs',
        description: 'networking-sfc port pairs: the ingress and egress ports of one service function instance (both of one device).',
        creationSchema: schemas.portPairCreationSchema,
        updateSchema: schemas.portPairUpdateSchema,
        repository: this.repositories.portPairs,
        notFound: ppNotFound,
        update: renamed(this.repositories.portPairs),
        create: (principal, creation: PortPairCreation) => this.createPortPair(principal, creation),
        remove: (pair) => this.removePortPair(pair),
      });
      registerResource<PortPairGroup, PortPairGroupCreation, PortPairGroupUpdate>(scope, {
        ...base,
        path: '/v2.0/sfc/port_pair_groups',
        singular: 'port_pair_group',
        plural: 'port_pair_groups',
        description: 'networking-sfc port pair groups: the instances of one hop, load balanced on lb_fields.',
        creationSchema: schemas.portPairGroupCreationSchema,
        updateSchema: schemas.portPairGroupUpdateSchema,
        repository: this.repositories.portPairGroups,
        notFound: ppgNotFound,
        create: (principal, creation: PortPairGroupCreation) => this.createPortPairGroup(principal, creation),
        update: (principal, current, update: PortPairGroupUpdate) => this.updatePortPairGroup(principal, current, update),
        remove: (group) => this.removePortPairGroup(group),
        view: (group) => ({ ...ownedView(group), tap_enabled: false, port_pair_group_parameters: { ...group.port_pair_group_parameters, ppg_n_tuple_mapping: { ingress_n_tuple: {}, egress_n_tuple: {} } } }),
      });
      registerResource<PortChain, PortChainCreation, PortChainUpdate>(scope, {
        ...base,
        path: '/v2.0/sfc/port_chains',
        singular: 'port_chain',
        plural: 'port_chains',
        description: 'networking-sfc port chains: flow classifiers steered through port pair groups in order.',
        creationSchema: schemas.portChainCreationSchema,
        updateSchema: schemas.portChainUpdateSchema,
        repository: this.repositories.portChains,
        notFound: pcNotFound,
        create: (principal, creation: PortChainCreation) => this.createPortChain(principal, creation),
        update: (principal, current, update: PortChainUpdate) => this.updatePortChain(principal, current, update),
        remove: (chain) => this.removePortChain(chain),
      });
      registerResource<ServiceGraph, ServiceGraphCreation, Named>(scope, {
        ...base,
        path: '/v2.0/sfc/service_graphs',
        singular: 'service_graph',
        plural: 'service_graphs',
        description: 'networking-sfc service graphs: port chains whose traffic branches into other port chains.',
        creationSchema: schemas.serviceGraphCreationSchema,
        updateSchema: schemas.serviceGraphUpdateSchema,
        repository: this.repositories.serviceGraphs,
        notFound: sgNotFound,
        update: renamed(this.repositories.serviceGraphs),
        create: (principal, creation: ServiceGraphCreation) => this.createServiceGraph(principal, creation),
        remove: ({ value, revision }) => this.repositories.serviceGraphs.delete(value.id, revision).then(() => undefined),
      });
    };
  }
}

function graphHasLoop(edges: Readonly<Record<string, readonly string[]>>): boolean {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string): boolean => {
    if (done.has(node)) return false;
    if (visiting.has(node)) return true;
    visiting.add(node);
    const loops = (edges[node] ?? []).some(visit);
    visiting.delete(node);
    done.add(node);
    return loops;
  };
  return Object.keys(edges).some(visit);
}
