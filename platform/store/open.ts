import path from 'node:path';
import type { Config } from '../config.js';
import type { Store } from './contract.js';
import { MongoStore } from './mongo.js';
import { SqliteStore } from './sqlite.js';

export const EMBEDDED_STORE_FILE = 'nfv.sqlite';

/** MongoDB when NFV_MONGO_URL is set, otherwise the embedded SQLite file in the data dir. */
export async function openStore(config: Pick<Config, 'dataDir' | 'mongoUrl'>): Promise<Store> {
  if (config.mongoUrl) return MongoStore.connect(config.mongoUrl);
  return new SqliteStore(path.join(config.dataDir, EMBEDDED_STORE_FILE));
}
