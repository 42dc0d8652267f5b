import path from 'node:path';
import { MongoStore, SqliteStore, type Store } from '../../platform/index.js';
import { makeTempDir, removeTempDir } from './tmp.js';

/**
 * The store backends the contract suite runs against. SQLite always; MongoDB only when NFV_MONGO_URL
 * names a server (MongoDB cannot be installed on the build machines), and then each test run uses its own
 * database. `open` may be called several times: each call is a new connection to the same data.
 */
export interface StoreBackend {
  name: string;
  skipReason: string | undefined;
  setUp(): Promise<void>;
  open(): Promise<Store>;
  tearDown(): Promise<void>;
}

export function sqliteBackend(): StoreBackend {
  let dir = '';
  return {
    name: 'sqlite',
    skipReason: undefined,
    async setUp() {
      dir = makeTempDir('store');
    },
    async open() {
      return new SqliteStore(path.join(dir, 'nfv.sqlite'));
    },
    async tearDown() {
      removeTempDir(dir);
    },
  };
}

export function mongoBackend(): StoreBackend {
  const baseUrl = process.env.NFV_MONGO_URL;
  let url = '';
  return {
    name: 'mongodb',
    skipReason: baseUrl ? undefined : 'NFV_MONGO_URL is not set',
    async setUp() {
      const parsed = new URL(baseUrl as string);
      parsed.pathname = `/nfv_contract_${process.pid}_${Date.now()}`;
      url = parsed.toString();
    },
    async open() {
      return MongoStore.connect(url);
    },
    async tearDown() {
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(url);
      await client.connect();
      await client.db().dropDatabase();
      await client.close();
    },
  };
}

export const storeBackends = (): StoreBackend[] => [sqliteBackend(), mongoBackend()];
