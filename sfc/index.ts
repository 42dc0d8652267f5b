/**
 * Service function chaining: the chain model, the Traffic Steering and networking-sfc APIs, the flow
 * compiler and reconciler, and our own southbound clients (OVSDB in `ovsdb/`, OpenFlow 1.3 in `openflow/`).
 */
import { describeListenFailure, socketTarget, type PlatformServices, type ProductModule } from '../platform/index.js';
import { DEFAULT_SEGMENT_RANGES, Networks, type PortDirectory } from '../vim/networks/index.js';
import { registerSfcApis } from './api/index.js';
import { OpenFlowController } from './openflow/index.js';

export * from './openflow/index.js';
export * as ovsdb from './ovsdb/index.js';
export { registerSfcApis, storedChainResources, type SfcApiServices, type SfcRepositories } from './api/index.js';
export { chainIntents, type ChainResources } from './chains/mapping.js';
export * from './chains/model.js';

/**
 * `ports` is the VIM's port directory; without one the module reads the VIM's ports from the store itself
 * (the directory only reads, so a second reader over the same store sees the same ports).
 */
export function createSfcModule(options: { ports?: PortDirectory } = {}): ProductModule {
  let controller: OpenFlowController | undefined;
  return {
    name: 'sfc',
    async registerApis(app, { store }) {
      await registerSfcApis(app, { store, ports: options.ports ?? new Networks(store, DEFAULT_SEGMENT_RANGES) });
    },
    async start({ config, logger }: PlatformServices) {
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
    },
    async stop() {
      await controller?.close();
    },
  };
}
