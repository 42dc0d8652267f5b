/**
 * Service function chaining: the chain model, the Traffic Steering and networking-sfc APIs, the flow
 * compiler and reconciler, and our own southbound clients (OVSDB in `ovsdb/`, OpenFlow 1.3 in `openflow/`).
 */
import { describeListenFailure, socketTarget, type PlatformServices, type ProductModule } from '../platform/index.js';
import { OpenFlowController } from './openflow/index.js';

export * from './openflow/index.js';
export * as ovsdb from './ovsdb/index.js';

export function createSfcModule(): ProductModule {
  let controller: OpenFlowController | undefined;
  return {
    name: 'sfc',
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
