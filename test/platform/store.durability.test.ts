import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SqliteStore, type Entity } from '../../platform/index.js';
import { exited, outputOf } from '../support/child.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/store-worker.ts');
const COLLECTION = { name: 'worker_docs', indexes: [] };

function startWorker(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}



describe('embedded store durability and cross-process concurrency', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = makeTempDir('durability');
    file = path.join(dir, 'nfv.sqlite');
  });
  afterEach(() => removeTempDir(dir));

  it('loses nothing that was acknowledged when the writer is killed with SIGKILL mid-stream', async () => {
    const child = startWorker(['append', file, '100000']);
    const acknowledged: string[] = [];
    const lines = readline.createInterface({ input: child.stdout! });
    const killAfter = 150;
    await new Promise<void>((resolve, reject) => {
      child.once('exit', () => reject(new Error(`the worker exited before ${killAfter} acks`)));
      lines.on('line', (line) => {
        if (!line.startsWith('ack ')) return;
        acknowledged.push(line.slice(4));
        if (acknowledged.length === killAfter) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    const code = await exited(child).catch(() => null);
    expect(code).toBeNull();

    const store = new SqliteStore(file);
    try {
      const found = new Set((await store.collection<Entity>(COLLECTION).query()).map(({ value }) => value.id));
      const missing = acknowledged.filter((id) => !found.has(id));
      expect(missing).toEqual([]);
      expect(found.size).toBeGreaterThanOrEqual(killAfter);
      expect(found.size).toBeLessThan(100000);
    } finally {
      await store.close();
    }
  });

  it('lets exactly one of several processes updating at the same expected revision win', async () => {
    const setup = new SqliteStore(file);
    await setup.collection<Entity & { name: string; sequence: number }>(COLLECTION).insert({
      id: 'contested',
      tenantId: 'tenant-a',
      name: 'original',
      sequence: 0,
    });
    await setup.close();
    const goFile = path.join(dir, 'go');
    const writers = Array.from({ length: 4 }, (_, index) => startWorker(['update-when', file, 'contested', '1', goFile, `writer ${index}`]));
    const outputs = writers.map((writer) => outputOf(writer));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    fs.writeFileSync(goFile, 'go');
    const results = await Promise.all(outputs);
    expect(results.filter((result) => result === 'won')).toHaveLength(1);
    expect(results.filter((result) => result === 'lost stale-revision')).toHaveLength(3);

    const check = new SqliteStore(file);
    try {
      const stored = await check.collection<Entity & { name: string }>(COLLECTION).get('contested');
      expect(stored?.revision).toBe(2);
      expect(stored?.value.name).toBe(`writer ${results.indexOf('won')}`);
    } finally {
      await check.close();
    }
  });
});
