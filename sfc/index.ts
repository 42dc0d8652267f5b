/**
 * Service function chaining: the chain model, the Traffic Steering and networking-sfc APIs, the flow
 * compiler and reconciler, the integration bridges of registered hosts and the port bindings seen on them,
 * and our own southbound clients (OVSDB in `ovsdb/`, OpenFlow 1.3 in `openflow/`).
 */
import { describeListenFailure, socketTarget, type PlatformServices, type ProductModule } from '../platform/index.js';
import { DEFAULT_SEGMENT_RANGES, Networks, type PortBindings, type PortDirectory } from '../vim/networks/index.js';
import { registerSfcApis, sfcRepositories, upgradeStoredSteeringChains, type SfcRepositories } from './api/index.js';
import { SteeredChains } from './api/steered-chains.js';
import { ChainProgrammer } from './flows/index.js';
import { HostSwitches } from './hosts/index.js';
import { OpenFlowController } from './openflow/index.js';

export * from './openflow/index.js';
export * as ovsdb from './ovsdb/index.js';
export { registerSfcApis, storedChainResources, type ChainDataplane, type SfcApiServices, type SfcRepositories } from './api/index.js';
export { chainIntents, type ChainResources } from './chains/mapping.js';
export { sfcPortUsers } from './api/port-users.js';
export { SteeredChains, type SteeredChainSpec, type SteeredClassifier, type SteeredHop, type SteeredInstance } from './api/steered-chains.js';
export * from './chains/model.js';
export { ChainProgrammer, type RenderedChain } from './flows/index.js';
export { datapathIdHex, datapathIdOf, HostSwitches } from './hosts/index.js';

export interface SfcModule extends ProductModule {
  /** The chains the NFVO builds for forwarding graphs; available once the APIs are registered. */
  steeredChains(): SteeredChains;
  /** Present once the module has started. */
  readonly programmer: ChainProgrammer | undefined;
  readonly hostSwitches: HostSwitches | undefined;
  /** Networks or ports were written: the switches are recomputed from them. */
  portsChanged(): void;
}

/**
 * `ports` is the VIM's port directory; without one the module reads and binds the VIM's ports through its
 * own `Networks` over the same store.
 */
export function createSfcModule(options: { ports?: PortDirectory & PortBindings } = {}): SfcModule {
  let controller: OpenFlowController | undefined;
  let programmer: ChainProgrammer | undefined;
  let hostSwitches: HostSwitches | undefined;
  let repositories: SfcRepositories | undefined;
  let ports: (PortDirectory & PortBindings) | undefined;
  let steeredChains: SteeredChains | undefined;
  return {
    name: 'sfc',
    steeredChains() {
      if (!steeredChains) throw new Error('the SFC module has not registered its APIs yet');
      return steeredChains;
    },
    get programmer() {
      return programmer;
    },
    get hostSwitches() {
      return hostSwitches;
    },
    portsChanged() {
      void programmer?.portsChanged();
    },
    async registerApis(app, { store }) {
      ports = options.ports ?? new Networks(store, DEFAULT_SEGMENT_RANGES);
      repositories = await registerSfcApis(app, {
        store,
        ports,
        onChange: () => void programmer?.schedule(),
        dataplane: {
          render: async (chainId) => programmer?.render(chainId),
          trace: async (query) => programmer?.trace(query) ?? { problem: 'the flow programmer has not started' },
        },
      });
      steeredChains = new SteeredChains(
        repositories,
        ports,
        () => void programmer?.schedule(),
        async () => (await programmer?.programmed()) ?? [],
      );
    },
    async start({ config, logger, store }: PlatformServices) {
      controller = new OpenFlowController({ logger: logger.child({ module: 'openflow' }) });
      let bound: Awaited<ReturnType<OpenFlowController['listen']>>;
      try {
        bound = await controller.listen(config.openflow.listen);
      } catch (error) {
        throw new Error(describeListenFailure(error, 'NFV_OPENFLOW_LISTEN', socketTarget(config.openflow.listen)), { cause: error });
      }
      const listening = typeof bound === 'string' ? { path: bound } : { host: bound.address, port: bound.port };
      const advertise = config.openflow.advertise ?? socketTarget(listening);
      logger.info({ listen: socketTarget(listening), advertise }, 'OpenFlow controller listening');
      const switches = new HostSwitches({
        store,
        bindings: ports ?? new Networks(store, DEFAULT_SEGMENT_RANGES),
        controllerTarget: advertise,
        logger: logger.child({ module: 'host-switches' }),
        refreshIntervalMs: config.sfc.hostRefreshIntervalMs,
        datapathType: config.sfc.bridgeDatapathType,
      });
      hostSwitches = switches;
      const chainRepositories = repositories ?? sfcRepositories(store);
      const upgraded = await upgradeStoredSteeringChains(chainRepositories);
      if (upgraded > 0) logger.info({ upgraded }, 'Traffic Steering chains rewritten to load-balanced hops');
      programmer = new ChainProgrammer({
        store,
        repositories: chainRepositories,
        controller,
        hostOfDatapath: (datapathId) => switches.hostOfDatapath(datapathId),
        tunnelsOf: (hostId) => switches.tunnelsOf(hostId),
        logger: logger.child({ module: 'chain-programmer' }),
        auditIntervalMs: config.sfc.auditIntervalMs,
      });
      switches.on('binding_changed', () => void programmer?.portsChanged());
      switches.on('tunnels_changed', () => void programmer?.schedule());
      programmer.start();
      await switches.start();
      void programmer.schedule();
    },
    async stop() {
      await programmer?.close();
      await hostSwitches?.close();
      await controller?.close();
    },
  };
}
