/**
 * Service function chaining: the chain model, the Traffic Steering and networking-sfc APIs, the flow
 * compiler and reconciler, and our own southbound clients (OVSDB in `ovsdb/`, OpenFlow 1.3 in `openflow/`).
 */
import type { PlatformServices, ProductModule } from '../platform/index.js';
import { OpenFlowListener } from './openflow/listener.js';

export { OFP_VERSION_1_3, OpenFlowListener, type ListenAddress, type SwitchConnectionInfo } from './openflow/listener.js';

export function createSfcModule(): ProductModule {
  let listener: OpenFlowListener | undefined;
  return {
    name: 'sfc',
    async start({ config, logger }: PlatformServices) {
      listener = new OpenFlowListener({ logger: logger.child({ module: 'openflow' }) });
      const bound = await listener.listen({ host: config.openflow.host, port: config.openflow.port });
      logger.info({ listen: bound, advertise: config.openflow.advertise }, 'OpenFlow controller listening');
    },
    async stop() {
      await listener?.close();
    },
  };
}
