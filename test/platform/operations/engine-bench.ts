/**
 * What the operation engine tests share: per test a temp dir with one store file, engines opened on it (each on
 * its own store, as replicas would be), all closed and the dir removed after the test.
 */
import path from 'node:path';
import { afterEach, beforeEach } from '@jest/globals';
import { createLogger, SqliteStore, type Store } from '../../../platform/index.js';
import { OperationEngine, type OperationEngineOptions } from '../../../platform/operations/index.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';

export interface EngineBench {
  /** The store first opened in this test (the one the first engine uses). */
  readonly store: Store;
  openStore(): Store;
  /** An engine on a store of its own over the test's file. */
  engine(options?: Partial<OperationEngineOptions>): OperationEngine;
}

export function useEngineBench(name: string, defaults: Partial<OperationEngineOptions> = {}): EngineBench {
  let file = '';
  let dir = '';
  const stores: Store[] = [];
  const engines: OperationEngine[] = [];
  beforeEach(() => {
    dir = makeTempDir(name);
    file = path.join(dir, 'nfv.sqlite');
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((created) => created.close()));
    await Promise.all(stores.splice(0).map((store) => store.close()));
    removeTempDir(dir);
  });
  const bench: EngineBench = {
    get store(): Store {
      return stores[0] ?? bench.openStore();
    },
    openStore() {
      const store = new SqliteStore(file);
      stores.push(store);
      return store;
    },
    engine(options = {}) {
      const created = new OperationEngine({ store: bench.openStore(), logger: createLogger('silent'), leaseMs: 60_000, ...defaults, ...options });
      engines.push(created);
      return created;
    },
  };
  return bench;
}
