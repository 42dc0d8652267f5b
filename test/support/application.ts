import { startApplication, type Application } from '../../platform/application.js';
import { createLogger, loadConfig, type Config } from '../../platform/index.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export const TEST_TOKEN = 'test-admin-token';
export const TENANT_A_TOKEN = 'test-tenant-a-token';
export const TENANT_B_TOKEN = 'test-tenant-b-token';

export interface RunningProduct {
  application: Application;
  config: Config;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** fetch with the admin token (override headers to test others). */
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The whole product started in-process on ephemeral ports with its store in a temp dir, as `npm start`
 * would start it, and three tokens: admin, tenant-a and tenant-b.
 */
export async function startProduct(env: NodeJS.ProcessEnv = {}): Promise<RunningProduct> {
  // A data dir given by the caller is the caller's to keep or remove; only our own temp dir goes on stop.
  const ownDataDir = env.NFV_DATA_DIR === undefined ? makeTempDir('data') : undefined;
  const dataDir = ownDataDir ?? (env.NFV_DATA_DIR as string);
  const config = loadConfig({
    NFV_DATA_DIR: dataDir,
    NFV_HTTP_PORT: '0',
    NFV_OPENFLOW_LISTEN: '127.0.0.1:0',
    NFV_API_TOKENS: `${TEST_TOKEN},${TENANT_A_TOKEN}=tenant-a,${TENANT_B_TOKEN}=tenant-b`,
    NFV_LOG_LEVEL: process.env.NFV_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const application = await startApplication(config, createLogger(config.logLevel));
  return {
    application,
    config,
    url: application.url,
    request: (path, init = {}) =>
      fetch(application.url + path, { ...init, headers: { Authorization: `Bearer ${TEST_TOKEN}`, ...(init.headers ?? {}) } }),
    async stop() {
      await application.close();
      if (ownDataDir !== undefined) removeTempDir(ownDataDir);
    },
  };
}
