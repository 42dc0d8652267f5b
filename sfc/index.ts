/**
 * Service function chaining: the chain model, the Traffic Steering and networking-sfc APIs, the flow
 * compiler and reconciler, and our own southbound clients (OVSDB in `ovsdb/`, OpenFlow 1.3 in `openflow/`).
 */
import type { PlatformServices, ProductModule } from '../platform/index.js';
import { OpenFlowController } from './openflow/index.js';

export * from './openflow/index.js';

export function createSfcModule(): ProductModule {
  let controller: OpenFlowController | undefined;
  return {
    name: 'sfc',
    async start({ config, logger }: PlatformServices) {
      controller = new OpenFlowController({ logger: logger.child({ module: 'openflow' }) });
      const bound = await controller.listen({ host: config.openflow.host, port: config.openflow.port });
      logger.info({ listen: bound, advertise: config.openflow.advertise }, 'OpenFlow controller listening');
    },
    async stop() {
      await controller?.close();
    },
  };
}
