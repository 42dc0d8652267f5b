import { changeStored, type CollectionSpec, type Entity, type Principal, type Repository, type Store, type Versioned, type Write } from '../../platform/index.js';
import { CHAIN_ID_MAX } from '../chains/model.js';
import { sfcError } from './errors.js';
import {
  FLOW_CLASSIFIERS,
  PORT_CHAINS,
  PORT_PAIR_GROUPS,
  PORT_PAIRS,
  SERVICE_GRAPHS,
  STEERING_CLASSIFIERS,
  STEERING_PORT_CHAINS,
  type FlowClassifier,
  type PortChain,
  type PortPair,
  type PortPairGroup,
  type ServiceGraph,
  type SteeringClassifier,
  type SteeringInstance,
  type SteeringPortChain,
} from './model.js';

export interface SfcRepositories {
  store: Store;
  flowClassifiers: Repository<FlowClassifier>;
  portPairs: Repository<PortPair>;
  portPairGroups: Repository<PortPairGroup>;
  portChains: Repository<PortChain>;
  serviceGraphs: Repository<ServiceGraph>;
  steeringClassifiers: Repository<SteeringClassifier>;
  steeringPortChains: Repository<SteeringPortChain>;
  chainIds: Repository<ChainIdClaim>;
}

export function sfcRepositories(store: Store): SfcRepositories {
  return {
    store,
    flowClassifiers: store.collection<FlowClassifier>(FLOW_CLASSIFIERS),
    portPairs: store.collection<PortPair>(PORT_PAIRS),
    portPairGroups: store.collection<PortPairGroup>(PORT_PAIR_GROUPS),
    portChains: store.collection<PortChain>(PORT_CHAINS),
    serviceGraphs: store.collection<ServiceGraph>(SERVICE_GRAPHS),
    steeringClassifiers: store.collection<SteeringClassifier>(STEERING_CLASSIFIERS),
    steeringPortChains: store.collection<SteeringPortChain>(STEERING_PORT_CHAINS),
    chainIds: store.collection<ChainIdClaim>(CHAIN_IDS),
  };
}

/**
 * Traffic Steering chains stored before a service function could list several load-balanced instances kept
 * one instance's ports on the hop itself: rewritten once, at start, to the hop with its `instances`.
 */
export async function upgradeStoredSteeringChains(repositories: SfcRepositories): Promise<number> {
  type StoredHop = SteeringPortChain['hops'][number] | SteeringInstance;
  const isLegacy = (hop: StoredHop): hop is SteeringInstance => !('instances' in hop);
  let upgraded = 0;
  for (const { value } of await repositories.steeringPortChains.query()) {
    const hops = value.hops as StoredHop[];
    if (!hops.some(isLegacy)) continue;
    await changeStored(repositories.steeringPortChains, value.id, (chain) => ({
      ...chain,
      hops: (chain.hops as StoredHop[]).map((hop) => (isLegacy(hop) ? { instances: [hop] } : hop)),
    }));
    upgraded += 1;
  }
  return upgraded;
}

/**
 * Rewrites of referenced documents at the revisions they were read at, committed with the write that
 * references them: a concurrent write to one of them (another chain taking the same group, a delete) makes
 * one of the two commits stale, so membership checks cannot be raced.
 */
export function unchangedSince<T extends Entity>(repository: Repository<T>, read: ReadonlyArray<Versioned<T>>): Write[] {
  return read.map(({ value, revision }) => repository.updateWrite(value, revision));
}

/**
 * Chain ids of both APIs share one space: they are the path ids of the one flow pipeline. Each id held is a
 * document whose id is the chain id, inserted with the chain, so the store's duplicate-id refusal keeps two
 * chains created at once from taking the same id.
 */
interface ChainIdClaim extends Entity {
  holder: string;
}
const CHAIN_IDS: CollectionSpec = { name: 'sfc_chain_ids', indexes: [] };

export function claimChainId(repositories: SfcRepositories, chain: PortChain | SteeringPortChain): Write {
  const chainId = 'chain_id' in chain ? chain.chain_id : chain.chainId;
  return repositories.chainIds.insertWrite({ id: String(chainId), tenantId: chain.tenantId, holder: chain.id });
}

export function releaseChainId(repositories: SfcRepositories, chainId: number): Write {
  return repositories.chainIds.deleteWrite(String(chainId));
}

async function usedChainIds(repositories: SfcRepositories): Promise<Map<number, string>> {
  return new Map((await repositories.chainIds.query()).map(({ value }) => [Number(value.id), value.holder]));
}

/** The chain holding `chainId`, if any. */
export async function chainIdInUse(repositories: SfcRepositories, chainId: number): Promise<string | undefined> {
  return (await usedChainIds(repositories)).get(chainId);
}

export async function freeChainId(repositories: SfcRepositories): Promise<number | undefined> {
  const used = await usedChainIds(repositories);
  for (let chainId = 1; chainId <= CHAIN_ID_MAX; chainId += 1) if (!used.has(chainId)) return chainId;
  return undefined;
}

/** The tenant a new resource belongs to: the caller's, or for the admin tenant the one the body names. */
export function ownerOf(principal: Principal, body: { tenant_id?: string; project_id?: string }, member: string): string {
  if (body.tenant_id !== undefined && body.project_id !== undefined && body.tenant_id !== body.project_id) {
    throw sfcError(400, 'InvalidInput', 'Invalid input for operation: tenant_id and project_id differ.', `${member}/project_id`);
  }
  const named = body.tenant_id ?? body.project_id;
  if (named === undefined || named === principal.tenantId) return principal.tenantId;
  if (!principal.isAdmin) throw sfcError(403, 'PolicyNotAuthorized', `Only the admin tenant may create a resource for tenant ${named}.`, `${member}/tenant_id`);
  return named;
}
