/**
 * The northbound SFC APIs: networking-sfc (`/v2.0/sfc/...`) and Traffic Steering (`/v2.0/ts/...`), both
 * stored as their own resources and mapped onto the one chain model by `sfc/chains`.
 */
import type { FastifyInstance } from 'fastify';
import { onSuccessfulWrite, type Store } from '../../platform/index.js';
import type { PortDirectory } from '../../vim/networks/index.js';
import { dataplaneRoutes, type ChainDataplane } from './dataplane.js';
import { sfcRepositories, upgradeStoredSteeringChains, type SfcRepositories } from './repositories.js';
export { sfcRepositories, upgradeStoredSteeringChains };
import { NetworkingSfc } from './networking-sfc.js';
import { TrafficSteering } from './traffic-steering.js';

export type { SfcFault, NeutronErrorBody } from './errors.js';
export * from './model.js';
export { classifiersOverlap } from './networking-sfc.js';
export { PORTS_DESCRIPTION } from './traffic-steering.js';
export type { SfcRepositories };
export type { ChainDataplane } from './dataplane.js';

export interface SfcApiServices {
  store: Store;
  /** The VIM's ports: every port a classifier, port pair or TS chain names must exist and be visible to the caller. */
  ports: PortDirectory;
  /** Called after every successful write through either API (the flow programmer recomputes the switches). */
  onChange?: () => void;
  /** The chains as programmed into the switches, for `GET .../port_chains/{id}/dataplane`. */
  dataplane?: ChainDataplane;
}

/** Registers both APIs and answers the repositories the chain model is read from. */
export async function registerSfcApis(app: FastifyInstance, services: SfcApiServices): Promise<SfcRepositories> {
  const repositories = sfcRepositories(services.store);
  const { onChange } = services;
  await app.register(async (scope) => {
    if (onChange) onSuccessfulWrite(scope, onChange);
    await scope.register(new NetworkingSfc(repositories, services.ports).routes());
    await scope.register(new TrafficSteering(repositories, services.ports).routes());
  });
  if (services.dataplane) await app.register(dataplaneRoutes(repositories, services.ports, services.dataplane));
  return repositories;
}

/** Everything the chain model is computed from, read from the store. */
export async function storedChainResources(repositories: SfcRepositories) {
  const values = async <T extends { id: string; tenantId: string }>(repository: { query(): Promise<Array<{ value: T }>> }) => (await repository.query()).map(({ value }) => value);
  return {
    flowClassifiers: await values(repositories.flowClassifiers),
    portPairs: await values(repositories.portPairs),
    portPairGroups: await values(repositories.portPairGroups),
    portChains: await values(repositories.portChains),
    steeringClassifiers: await values(repositories.steeringClassifiers),
    steeringPortChains: await values(repositories.steeringPortChains),
  };
}
