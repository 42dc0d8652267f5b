import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Store } from './store/contract.js';

/** What the platform hands every context. */
export interface PlatformServices {
  config: Config;
  store: Store;
  logger: Logger;
}

/**
 * A bounded context as the process sees it: APIs to register on the one HTTP server, and background work
 * (listeners, reconcilers, timers) started after the server listens and stopped, in reverse order, on shutdown.
 */
export interface ProductModule {
  name: string;
  registerApis?(app: FastifyInstance, services: PlatformServices): Promise<void>;
  start?(services: PlatformServices): Promise<void>;
  stop?(): Promise<void>;
}
