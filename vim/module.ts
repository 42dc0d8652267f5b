/**
 * The VIM as the process runs it: the administration API and the Neutron-shaped networks and ports on the
 * one HTTP server, the watch over host agents' heartbeats that marks silent hosts down, and the services the
 * other contexts call (Or-Vi and Vi-Vnfm as plain calls): placement, networks, compute.
 */
import type { FastifyInstance } from 'fastify';
import type { PlatformServices, ProductModule, Store } from '../platform/index.js';
import { HostHeartbeats } from './api/heartbeats.js';
import { VIM_API_PREFIX, vimRoutes } from './api/routes.js';
import { ComputeHosts } from './compute/hosts.js';
import { Inventory } from './inventory/inventory.js';
import { registerNetworkApi, type Networks, type PortUsers } from './networks/index.js';
import { Scheduler } from './placement/scheduler.js';

/** What the NFVO (grants) and the VNFM (VNFCs, ports) use of the VIM. */
export interface VimServices {
  inventory: Inventory;
  scheduler: Scheduler;
  networks: Networks;
  compute: ComputeHosts;
  /** To call after writing networks or ports through `networks` (the API's writes tell it by themselves). */
  portsChanged(): void;
}

export interface VimModule extends ProductModule {
  /** Available once the APIs are registered; throws before. */
  services(): VimServices;
}

/**
 * `portUsers`: what other contexts use ports for (SFC), so that a port in use is not deleted;
 * `onPortsChanged`: told after every network or port write (SFC recomputes the switches).
 */
export function createVimModule(options: { portUsers?: (store: Store) => PortUsers; onPortsChanged?: () => void } = {}): VimModule {
  let heartbeats: HostHeartbeats | undefined;
  let services: VimServices | undefined;
  return {
    name: 'vim',
    services() {
      if (!services) throw new Error('the VIM has not registered its APIs yet');
      return services;
    },
    async registerApis(app: FastifyInstance, { config, store, logger }: PlatformServices) {
      const log = logger.child({ module: 'vim' });
      const inventory = await Inventory.open(store);
      heartbeats = new HostHeartbeats(store, inventory, config.vim.heartbeatTimeoutMs, log);
      await heartbeats.load();
      await app.register(vimRoutes({ store, inventory, heartbeats, schedulerOptions: {} }), { prefix: VIM_API_PREFIX });
      const networks = await registerNetworkApi(app, {
        store,
        ...(options.portUsers ? { portUsers: options.portUsers(store) } : {}),
        ...(options.onPortsChanged ? { onChange: options.onPortsChanged } : {}),
      });
      services = { inventory, scheduler: await Scheduler.open(store, { inventory }), networks, compute: new ComputeHosts(log), portsChanged: () => options.onPortsChanged?.() };
    },
    async start() {
      heartbeats?.start();
    },
    async stop() {
      heartbeats?.stop();
      services?.scheduler.close();
      await services?.compute.close();
    },
  };
}
