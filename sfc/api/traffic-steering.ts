import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { installNeutronErrors, tenantScope, type Principal, type ProblemError, type Repository, type Versioned } from '../../platform/index.js';
import type { PortDirectory } from '../../vim/networks/index.js';
import { claimChainId, freeChainId, ownerOf, releaseChainId, unchangedSince, type SfcRepositories } from './repositories.js';
import { invalidInput, sfcError } from './errors.js';
import type { SteeringClassifier, SteeringHop, SteeringInstance, SteeringPortChain } from './model.js';
import { parseIpPrefix } from './prefixes.js';
import { ownedView, registerResource, visibleResource } from './resource-routes.js';

interface Named {
  name?: string;
  description?: string;
}
export interface SteeringClassifierCreation extends Named {
  tenant_id?: string;
  protocol?: number;
  /** The spelling of the Traffic Steering API's own examples. */
  Protocol?: number;
  port_range?: string;
  src_ip?: string;
  dst_ip?: string;
}
export interface SteeringPortChainCreation extends Named {
  tenant_id?: string;
  classifiers?: string[];
  ports: Record<string, string[]>;
}

const CLASSIFIER = '/classifier';
const PORT_CHAIN = '/port_chain';
const TRANSPORT_PROTOCOLS = new Set([6, 17, 132]);

/**
 * How a standby takes over and how flows are spread, as documented in the port chain schema: each `ports`
 * entry is one service function, in chain order. The key is its ingress port, the one array element its
 * egress port; either may be written `"P|B"` (spaces around `|` allowed). The primary instance is (key's P,
 * element's P). When either side names a B, the backup instance is (key's B or else key's P, element's B or
 * else element's P), and it takes over when the primary's ingress port goes down.
 *
 * Our extension of the format: a function with several load-balanced instances lists them separated by `,`
 * in the key and in the element alike, the same number on both sides, each side of each instance optionally
 * `"P|B"`. Instance i is (i-th ingress, i-th egress); each flow stays on one instance (a SELECT group).
 */
export const PORTS_DESCRIPTION =
  'Ordered map, one entry per service function in chain order. Key: the SF ingress port id; value: a list of exactly one element, ' +
  'the SF egress port id. Key and element may each be "P|B" (primary|backup). The primary instance is (ingress P, egress P). ' +
  'When the key or the element names a backup B, the backup instance is (ingress B, or ingress P when the key has none; egress B, ' +
  'or egress P when the element has none), and it takes over when the primary ingress port goes down. ' +
  'Example: {"I|Ib": ["E|Eb"]} has primary (I, E) and backup (Ib, Eb); {"I": ["E|Eb"]} has backup (I, Eb). ' +
  'A service function with several load-balanced instances lists them separated by "," in the key and in the element, ' +
  'the same number on both sides (each may be "P|B"): instance i is (i-th ingress, i-th egress), and each flow stays on one instance. ' +
  'Example: {"I1,I2": ["E1,E2"]} spreads flows over (I1, E1) and (I2, E2).';

const text = { type: 'string', maxLength: 255 } as const;
const protocol = { type: 'integer', minimum: 0, maximum: 255, description: 'IANA protocol number (6 TCP, 17 UDP, 132 SCTP, ...).' } as const;

const classifierCreationSchema = {
  type: 'object',
  required: ['classifier'],
  additionalProperties: false,
  properties: {
    classifier: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: text,
        description: text,
        tenant_id: { type: 'string', minLength: 1, maxLength: 255 },
        protocol,
        Protocol: { ...protocol, description: 'Same as protocol (the spelling of the original API); answers use protocol.' },
        port_range: { type: 'string', description: 'Destination port ranges: "800:900,1200:1300"; a bare port is a range of one; min <= max <= 65535. Needs protocol 6, 17 or 132.' },
        src_ip: { type: 'string', description: 'Source CIDR, IPv4 or IPv6, without host bits.' },
        dst_ip: { type: 'string', description: 'Destination CIDR, of the same IP version as src_ip, without host bits.' },
      },
    },
  },
} as const;

const namedUpdateSchema = (member: string) =>
  ({ type: 'object', required: [member], additionalProperties: false, properties: { [member]: { type: 'object', additionalProperties: false, properties: { name: text, description: text } } } }) as const;

const portChainCreationSchema = {
  type: 'object',
  required: ['port_chain'],
  additionalProperties: false,
  properties: {
    port_chain: {
      type: 'object',
      required: ['ports'],
      additionalProperties: false,
      properties: {
        name: text,
        description: text,
        tenant_id: { type: 'string', minLength: 1, maxLength: 255 },
        classifiers: { type: 'array', items: { type: 'string', minLength: 1 } },
        ports: {
          type: 'object',
          minProperties: 1,
          description: PORTS_DESCRIPTION,
          additionalProperties: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;

function checkPortRange(portRange: string): void {
  const pointer = `${CLASSIFIER}/port_range`;
  const ranges = portRange.split(',').map((range) => range.trim());
  for (const range of ranges) {
    const match = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(range);
    if (match === null) throw invalidInput(`port_range "${portRange}" is not a list of PORT or MIN:MAX`, pointer);
    const min = Number(match[1]);
    const max = Number(match[2] ?? match[1]);
    if (max > 65535 || min > 65535) throw invalidInput(`port_range "${range}" has a port above 65535`, pointer);
    if (min > max) throw invalidInput(`port_range "${range}" is inverted: ${min} > ${max}`, pointer);
  }
}

function checkedPrefix(value: string | undefined, attribute: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseIpPrefix(value);
  if (typeof parsed === 'string') throw invalidInput(parsed, `${CLASSIFIER}/${attribute}`);
  return parsed.version;
}

/** `"P|B"` as primary and backup; `"P"` has no backup. */
function primaryAndBackup(entry: string, pointer: string): [string, string | null] {
  const parts = entry.split('|').map((part) => part.trim());
  const [primary = '', backup] = parts;
  if (parts.length > 2 || primary === '' || backup === '') throw invalidInput(`"${entry}" is not PORT or PRIMARY|BACKUP`, pointer);
  return [primary, backup ?? null];
}

const joined = (primary: string, backup: string | null | undefined): string => (backup === null || backup === undefined ? primary : `${primary}|${backup}`);

/** A `ports` entry as the instances of one service function: `"I1,I2"` with `["E1,E2"]` is (I1, E1) and (I2, E2). */
function serviceFunctionInstances(key: string, element: string, pointer: string): SteeringInstance[] {
  const ingresses = key.split(',');
  const egresses = element.split(',');
  if (ingresses.length !== egresses.length) {
    throw invalidInput(`"${key}" lists ${ingresses.length} load-balanced instances but its egress "${element}" lists ${egresses.length}: each instance needs an ingress and an egress`, `${pointer}/0`);
  }
  return ingresses.map((ingressEntry, index) => {
    const [ingress, ingressBackup] = primaryAndBackup(ingressEntry, pointer);
    const [egress, egressBackup] = primaryAndBackup(egresses[index] ?? '', `${pointer}/0`);
    return { ingress, ingressBackup, egress, egressBackup };
  });
}

type PortsOfInstance = Pick<SteeringInstance, 'ingress' | 'egress'> & { ingressBackup?: string | null; egressBackup?: string | null };

/** The `ports` entry of one service function from its instances, as the API shows it: `"I1|B1,I2"` -> `["E1|B1,E2"]`. */
export function portsEntry(instances: readonly PortsOfInstance[]): [string, string[]] {
  return [instances.map((instance) => joined(instance.ingress, instance.ingressBackup)).join(','), [instances.map((instance) => joined(instance.egress, instance.egressBackup)).join(',')]];
}

const classifierNotFound = (id: string): ProblemError => sfcError(404, 'ClassifierNotFound', `Classifier ${id} could not be found.`);
export const portChainNotFound = (id: string): ProblemError => sfcError(404, 'PortChainNotFound', `Port Chain ${id} could not be found.`);

/** The Traffic Steering API: classifiers and port chains of SFs given by their ports, with primary|backup instances. */
export class TrafficSteering {
  constructor(
    private readonly repositories: SfcRepositories,
    private readonly ports: PortDirectory,
  ) {}

  /** `options.id`: the id to create under (the NFVO's chains, never the API): creating it again answers it as it is. */
  async createClassifier(principal: Principal, creation: SteeringClassifierCreation, options: { id?: string } = {}): Promise<SteeringClassifier> {
    if (options.id !== undefined) {
      const existing = await this.repositories.steeringClassifiers.get(options.id);
      if (existing) return existing.value;
    }
    if (creation.protocol !== undefined && creation.Protocol !== undefined && creation.protocol !== creation.Protocol) {
      throw invalidInput('protocol and Protocol differ', `${CLASSIFIER}/Protocol`);
    }
    const protocolNumber = creation.protocol ?? creation.Protocol ?? null;
    if (creation.port_range !== undefined) {
      checkPortRange(creation.port_range);
      if (protocolNumber === null || !TRANSPORT_PROTOCOLS.has(protocolNumber)) {
        throw invalidInput('port_range needs protocol 6 (TCP), 17 (UDP) or 132 (SCTP)', `${CLASSIFIER}/protocol`);
      }
    }
    const sourceVersion = checkedPrefix(creation.src_ip, 'src_ip');
    const destinationVersion = checkedPrefix(creation.dst_ip, 'dst_ip');
    if (sourceVersion !== undefined && destinationVersion !== undefined && sourceVersion !== destinationVersion) {
      throw invalidInput('src_ip and dst_ip are of different IP versions', `${CLASSIFIER}/dst_ip`);
    }
    const classifier: SteeringClassifier = {
      id: options.id ?? crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, CLASSIFIER),
      name: creation.name ?? '',
      description: creation.description ?? '',
      protocol: protocolNumber,
      port_range: creation.port_range?.split(',').map((range) => range.trim()).join(',') ?? null,
      src_ip: creation.src_ip ?? null,
      dst_ip: creation.dst_ip ?? null,
    };
    await this.repositories.steeringClassifiers.insert(classifier);
    return classifier;
  }

  private async visiblePort(principal: Principal, portId: string, pointer: string): Promise<void> {
    if ((await this.ports.port(portId, tenantScope(principal))) === undefined) {
      throw sfcError(404, 'PortNotFound', `Port ${portId} could not be found.`, pointer);
    }
  }

  /** The service functions of a `ports` map, every port checked: visible to the caller, and in one place of the chain only. */
  private async parsedHops(principal: Principal, ports: Record<string, string[]>): Promise<SteeringHop[]> {
    const hops: SteeringHop[] = [];
    const seen = new Set<string>();
    for (const [key, egresses] of Object.entries(ports)) {
      const pointer = `${PORT_CHAIN}/ports/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const instances = serviceFunctionInstances(key, egresses[0] ?? '', pointer);
      // A one-armed function (ingress and egress the same port) is one hop; a port in two hops is not.
      for (const { ingress, ingressBackup, egress, egressBackup } of instances) {
        for (const portId of new Set([ingress, ingressBackup, egress, egressBackup])) {
          if (portId === null) continue;
          if (seen.has(portId)) throw invalidInput(`port ${portId} appears more than once in the chain`, pointer);
          seen.add(portId);
          await this.visiblePort(principal, portId, pointer);
        }
      }
      hops.push({ instances });
    }
    return hops;
  }

  async createPortChain(principal: Principal, creation: SteeringPortChainCreation, options: { id?: string } = {}): Promise<SteeringPortChain> {
    if (options.id !== undefined) {
      const existing = await this.repositories.steeringPortChains.get(options.id);
      if (existing) return existing.value;
    }
    const hops = await this.parsedHops(principal, creation.ports);
    const classifierIds = creation.classifiers ?? [];
    const others = (await this.repositories.steeringPortChains.query()).map(({ value }) => value);
    const classifiersRead: Array<Versioned<SteeringClassifier>> = [];
    for (const [index, id] of classifierIds.entries()) {
      if (classifierIds.indexOf(id) !== index) throw invalidInput(`classifier ${id} is listed twice`, `${PORT_CHAIN}/classifiers/${index}`);
      classifiersRead.push(await visibleResource(this.repositories.steeringClassifiers, principal, id, classifierNotFound));
      const holder = others.find((chain) => chain.classifiers.includes(id));
      if (holder !== undefined) throw sfcError(409, 'ClassifierInUse', `Classifier ${id} is in use by port chain ${holder.id}.`);
    }
    const chainId = await freeChainId(this.repositories);
    if (chainId === undefined) throw sfcError(409, 'PortChainUnavailableChainId', 'No chain id is available.');
    const chain: SteeringPortChain = {
      id: options.id ?? crypto.randomUUID(),
      tenantId: ownerOf(principal, creation, PORT_CHAIN),
      name: creation.name ?? '',
      description: creation.description ?? '',
      classifiers: [...classifierIds],
      hops,
      chainId,
    };
    await this.repositories.store.commit([this.repositories.steeringPortChains.insertWrite(chain), claimChainId(this.repositories, chain), ...unchangedSince(this.repositories.steeringClassifiers, classifiersRead)]);
    return chain;
  }

  /** Gives a chain new service functions (the NFVO's chains, when the VNFs at their positions scale); its classifiers stay. */
  async changePorts(principal: Principal, { value, revision }: Versioned<SteeringPortChain>, ports: Record<string, string[]>): Promise<SteeringPortChain> {
    const hops = await this.parsedHops(principal, ports);
    return (await this.repositories.steeringPortChains.update({ ...value, hops }, revision)).value;
  }

  async removeClassifier({ value: classifier, revision }: Versioned<SteeringClassifier>): Promise<void> {
    const holder = (await this.repositories.steeringPortChains.query()).find(({ value }) => value.classifiers.includes(classifier.id));
    if (holder !== undefined) throw sfcError(409, 'ClassifierInUse', `Classifier ${classifier.id} is in use by port chain ${holder.value.id}.`);
    await this.repositories.steeringClassifiers.delete(classifier.id, revision);
  }

  async removePortChain({ value, revision }: Versioned<SteeringPortChain>): Promise<void> {
    await this.repositories.store.commit([this.repositories.steeringPortChains.deleteWrite(value.id, revision), releaseChainId(this.repositories, value.chainId)]);
  }

  routes() {
    return async (scope: FastifyInstance): Promise<void> => {
      installNeutronErrors(scope);
      const rename =
        <T extends SteeringClassifier | SteeringPortChain>(repository: Repository<T>) =>
        async (_principal: Principal, { value, revision }: Versioned<T>, update: Named): Promise<T> =>
          (await repository.update({ ...value, name: update.name ?? value.name, description: update.description ?? value.description }, revision)).value;
      registerResource<SteeringClassifier, SteeringClassifierCreation, Named>(scope, {
        path: '/v2.0/ts/classifiers',
        singular: 'classifier',
        plural: 'classifiers',
        tag: 'traffic-steering',
        description: 'Traffic Steering classifiers: protocol, destination port ranges and source/destination prefixes.',
        creationSchema: classifierCreationSchema,
        updateSchema: namedUpdateSchema('classifier'),
        repository: this.repositories.steeringClassifiers,
        notFound: classifierNotFound,
        create: (principal, creation) => this.createClassifier(principal, creation),
        update: rename(this.repositories.steeringClassifiers),
        remove: (classifier) => this.removeClassifier(classifier),
        view: ownedView,
      });
      registerResource<SteeringPortChain, SteeringPortChainCreation, Named>(scope, {
        path: '/v2.0/ts/port_chains',
        singular: 'port_chain',
        plural: 'port_chains',
        tag: 'traffic-steering',
        description: `Traffic Steering port chains. ports: ${PORTS_DESCRIPTION}`,
        creationSchema: portChainCreationSchema,
        updateSchema: namedUpdateSchema('port_chain'),
        repository: this.repositories.steeringPortChains,
        notFound: portChainNotFound,
        create: (principal, creation) => this.createPortChain(principal, creation),
        update: rename(this.repositories.steeringPortChains),
        remove: (chain) => this.removePortChain(chain),
        view: ({ hops, chainId, ...chain }) => ({
          ...ownedView(chain),
          chain_id: chainId,
          ports: Object.fromEntries(hops.map((hop) => portsEntry(hop.instances))),
        }),
      });
    };
  }
}
