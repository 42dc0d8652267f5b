import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createNfvoModule } from '../nfvo/index.js';
import { createSfcModule, sfcPortUsers } from '../sfc/index.js';
import { createVimModule } from '../vim/index.js';
import { createVnfmModule } from '../vnfm/index.js';
import { describeListenFailure, type Config } from './config.js';
import { resolveApiTokens } from './http/auth.js';
import { createHttpServer } from './http/server.js';
import { createLogger, type Logger } from './logger.js';
import type { PlatformServices, ProductModule } from './module.js';
import type { Store } from './store/contract.js';
import { openStore } from './store/open.js';

export const PRODUCT_VERSION = '0.1.0';

/** A startup failure with the one sentence an operator needs to fix it. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

export interface Application {
  http: FastifyInstance;
  store: Store;
  logger: Logger;
  /** Where the HTTP server listens, e.g. `http://127.0.0.1:9890`. */
  url: string;
  /** The running contexts, for operators' tooling and tests that look behind the APIs. */
  modules: readonly ProductModule[];
  close(): Promise<void>;
}

/**
 * The contexts and the reference points between them, as plain calls: the VNFM gets grants from the NFVO
 * (Or-Vnfm) and uses the VIM (Vi-Vnfm); the NFVO places through the VIM (Or-Vi). The VIM registers first, so
 * that the services the others reach lazily exist before any request is served.
 */
export function productModules(): ProductModule[] {
  const sfc = createSfcModule();
  const vim = createVimModule({ portUsers: sfcPortUsers, onPortsChanged: () => sfc.portsChanged() });
  const vnfm = createVnfmModule({ grants: () => nfvo.grants(), vim: () => vim.services(), descriptors: () => nfvo.descriptors() });
  const nfvo = createNfvoModule({ vim: () => vim.services(), vnfm: () => vnfm.manager(), chains: () => sfc.steeredChains() });
  // Stopped in reverse: the NS lifecycle (which waits on VNF operations) before the VNFM.
  return [vim, sfc, vnfm, nfvo];
}

/**
 * Starts the whole product in this process: store, HTTP APIs, then the modules' background work (the
 * OpenFlow listener among them). `close` undoes it in reverse. Fails fast with `StartupError`.
 */
export async function startApplication(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Application> {
  checkDataDirWritable(config.dataDir);
  let store: Store;
  try {
    store = await openStore(config);
  } catch (error) {
    throw new StartupError(`The store could not be opened (${config.mongoUrl ? 'NFV_MONGO_URL' : 'NFV_DATA_DIR'}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  const services: PlatformServices = { config, store, logger };
  const modules = productModules();
  const started: ProductModule[] = [];
  const http = await createHttpServer({
    logger,
    tokens: resolveApiTokens(config.apiTokens, config.dataDir, logger),
    bodyLimitBytes: config.http.bodyLimitBytes,
    readiness: () => store.ping(),
    version: PRODUCT_VERSION,
  });
  const close = async (): Promise<void> => {
    await http.close();
    for (const module of started.reverse()) await module.stop?.();
    await store.close();
  };
  try {
    for (const module of modules) await module.registerApis?.(http, services);
    await http.ready();
    let url: string;
    try {
      url = await http.listen({ host: config.http.host, port: config.http.port });
    } catch (error) {
      throw new StartupError(describeListenFailure(error, 'NFV_HTTP_HOST/NFV_HTTP_PORT', `${config.http.host}:${config.http.port}`), { cause: error });
    }
    for (const module of modules) {
      try {
        await module.start?.(services);
      } catch (error) {
        throw new StartupError(`the ${module.name} module failed to start: ${(error as Error).message}`, { cause: error });
      }
      started.push(module);
    }
    logger.info({ url, dataDir: config.dataDir, store: store.backend }, 'NFV MANO orchestrator started');
    return { http, store, logger, url, modules, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

function checkDataDirWritable(dataDir: string): void {
  const probe = path.join(dataDir, `.write-probe-${process.pid}`);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(probe, 'probe');
    fs.unlinkSync(probe);
  } catch (error) {
    throw new StartupError(`NFV_DATA_DIR=${dataDir} is not a writable directory: ${(error as Error).message}`, { cause: error });
  }
}
