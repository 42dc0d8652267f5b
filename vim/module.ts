/**
 * The VIM as the process runs it: the administration API and the Neutron-shaped networks and ports on the
 * one HTTP server, and the watch over host agents' heartbeats that marks silent hosts down.
 */
import type { FastifyInstance } from 'fastify';
import type { PlatformServices, ProductModule, Store } from '../platform/index.js';
import { HostHeartbeats } from './api/heartbeats.js';
import { VIM_API_PREFIX, vimRoutes } from './api/routes.js';
import { Inventory } from './inventory/inventory.js';
import { registerNetworkApi, type PortUsers } from './networks/index.js';

/**
 * `portUsers`: what other contexts use ports for (SFC), so that a port in use is not deleted;
 * `onPortsChanged`: told after every network or port write (SFC recomputes the switches).
 */
export function createVimModule(options: { portUsers?: (store: Store) => PortUsers; onPortsChanged?: () => void } = {}): ProductModule {
  let heartbeats: HostHeartbeats | undefined;
  return {
    name: 'vim',
    async registerApis(app: FastifyInstance, { config, store, logger }: PlatformServices) {
      const inventory = await Inventory.open(store);
      heartbeats = new HostHeartbeats(store, inventory, config.vim.heartbeatTimeoutMs, logger.child({ module: 'vim' }));
      await heartbeats.load();
      await app.register(vimRoutes({ store, inventory, heartbeats, schedulerOptions: {} }), { prefix: VIM_API_PREFIX });
      await registerNetworkApi(app, {
        store,
        ...(options.portUsers ? { portUsers: options.portUsers(store) } : {}),
        ...(options.onPortsChanged ? { onChange: options.onPortsChanged } : {}),
      });
    },
    async start() {
      heartbeats?.start();
    },
    async stop() {
      heartbeats?.stop();
    },
  };
}
