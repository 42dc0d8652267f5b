/**
 * A separate process that writes to the embedded store, for tests that need a real second process: kill -9
 * durability and cross-process concurrency. Run with `node --import tsx store-worker.ts <mode> <file> ...`.
 *
 * - `append <file> <count>`: inserts documents `doc-0000`... one commit each, printing `ack <id>` after each
 *   commit returns (that is, after the store acknowledged it).
 * - `update-when <file> <id> <expectedRevision> <goFile> <name>`: waits until `goFile` exists, then updates
 *   the document once and prints `won` or `lost <reason>`.
 */
import fs from 'node:fs';
import { SqliteStore, StoreConflictError, type Entity } from '../../platform/index.js';

interface WorkerDoc extends Entity {
  name: string;
  sequence: number;
}

const COLLECTION = { name: 'worker_docs', indexes: [] };

async function main(): Promise<void> {
  const [mode, file, ...args] = process.argv.slice(2);
  if (!file) throw new Error('usage: store-worker.ts <mode> <file> ...');
  const store = new SqliteStore(file);
  const docs = store.collection<WorkerDoc>(COLLECTION);
  if (mode === 'append') {
    const count = Number(args[0]);
    for (let sequence = 0; sequence < count; sequence += 1) {
      const id = `doc-${String(sequence).padStart(4, '0')}`;
      await docs.insert({ id, tenantId: 'tenant-a', name: `document ${sequence}`, sequence });
      process.stdout.write(`ack ${id}\n`);
    }
  } else if (mode === 'update-when') {
    const [id = '', expected = '', goFile = '', name = ''] = args;
    while (!fs.existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 2));
    try {
      await docs.update({ id, tenantId: 'tenant-a', name, sequence: 0 }, Number(expected));
      process.stdout.write('won\n');
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      process.stdout.write(`lost ${error.reason}\n`);
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await store.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
