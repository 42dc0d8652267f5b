/**
 * Embedded store throughput: durable (fsync'd) single-document commits, compare-and-set updates, atomic
 * two-document claims, and reads, on a real file in a temp dir. Prints one line.
 *
 *   npm run bench:store            (NFV_BENCH_COUNT sets the operations per phase, default 2000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore, type Entity } from '../platform/index.js';

interface BenchHost extends Entity {
  freeCpus: number;
  zoneId: string;
}

async function rate(count: number, operation: (index: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index += 1) await operation(index);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(count / seconds);
}

async function main(): Promise<void> {
  const count = Number(process.env.NFV_BENCH_COUNT ?? 2000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfv-bench-store-'));
  const store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
  try {
    const hosts = store.collection<BenchHost>({ name: 'bench_hosts', indexes: ['zoneId'] });
    const claims = store.collection<Entity & { hostId: string }>({ name: 'bench_claims', indexes: ['hostId'] });
    const id = (index: number): string => `host-${String(index).padStart(6, '0')}`;

    const inserts = await rate(count, (index) => hosts.insert({ id: id(index), tenantId: 'bench', freeCpus: 64, zoneId: `zone-${index % 4}` }));
    const updates = await rate(count, (index) => hosts.update({ id: id(index), tenantId: 'bench', freeCpus: 63, zoneId: `zone-${index % 4}` }, 1));
    const atomicClaims = await rate(count, (index) =>
      store.commit([
        hosts.updateWrite({ id: id(index), tenantId: 'bench', freeCpus: 62, zoneId: `zone-${index % 4}` }, 2),
        claims.insertWrite({ id: `claim-${index}`, tenantId: 'bench', hostId: id(index) }),
      ]),
    );
    const reads = await rate(count * 5, (index) => hosts.get(id(index % count)));
    const queries = await rate(200, (index) => hosts.query({ where: { zoneId: `zone-${index % 4}` }, limit: 100 }));
    console.log(
      `store(sqlite, fsync per commit, n=${count}): insert ${inserts}/s, cas-update ${updates}/s, ` +
        `atomic-claim ${atomicClaims}/s, get ${reads}/s, indexed-query(100 rows) ${queries}/s`,
    );
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
