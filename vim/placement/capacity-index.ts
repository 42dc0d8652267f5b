/**
 * The scheduler's in-memory view of every host as a capacity summary, tagged with the revision of the host
 * document it was computed from. It is a cache, not the truth: a placement ranks hosts from it, re-reads
 * the winner's document before pinning, and commits at that document's revision, so a stale summary costs
 * a retry, never a double claim. Summaries move forward with our own commits, with the inventory's writes,
 * with every document a placement reads, and with a full reload before a refusal.
 *
 * Hosts with the same zone and the same counts share a bucket: a fleet of identical servers is a handful
 * of buckets, and placement filters and weighs each bucket once instead of each of thousands of hosts.
 */
import type { Repository } from '../../platform/index.js';
import type { Host } from '../inventory/model.js';
import { capacityOf, type HostCapacity } from './capacity.js';

export interface IndexedHost {
  capacity: HostCapacity;
  /** Orders equally good hosts differently per scheduler, so that two schedulers do not race for one host. */
  tieBreak: number;
}

export class HostBucket {
  readonly hosts = new Map<string, IndexedHost>();
  private cachedBest: IndexedHost | undefined;

  constructor(readonly key: string) {}

  /** Any member: they all have the same zone, region, state and counts. */
  get sample(): HostCapacity | undefined {
    return this.hosts.values().next().value?.capacity;
  }

  /** The member that wins ties, among those the filter allows (all when none is given). */
  best(allows?: (host: IndexedHost) => boolean): IndexedHost | undefined {
    if (!allows && this.cachedBest) return this.cachedBest;
    let best: IndexedHost | undefined;
    for (const host of this.hosts.values()) {
      if ((!allows || allows(host)) && (!best || host.tieBreak > best.tieBreak)) best = host;
    }
    if (!allows) this.cachedBest = best;
    return best;
  }

  add(host: IndexedHost): void {
    this.hosts.set(host.capacity.hostId, host);
    if (this.cachedBest && host.tieBreak > this.cachedBest.tieBreak) this.cachedBest = host;
  }

  remove(hostId: string): void {
    this.hosts.delete(hostId);
    if (this.cachedBest?.capacity.hostId === hostId) this.cachedBest = undefined;
  }
}

const LOAD_PAGE = 1000;

export class CapacityIndex {
  private hosts = new Map<string, IndexedHost>();
  private buckets = new Map<string, HostBucket>();
  private loadedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repo: Repository<Host>,
    private readonly cpuAllocationRatio: number,
    private readonly salt: number,
  ) {}

  get size(): number {
    return this.hosts.size;
  }

  /** Milliseconds since the last full reload. */
  ageMs(nowMs: number): number {
    return nowMs - this.loadedAtMs;
  }

  /** Reads every host document again, page by page. */
  async load(nowMs: number): Promise<void> {
    this.hosts = new Map();
    this.buckets = new Map();
    let after: string | undefined;
    for (;;) {
      const page = await this.repo.query({ after, limit: LOAD_PAGE });
      for (const { value, revision } of page) this.put(value, revision);
      const last = page[page.length - 1];
      if (!last || page.length < LOAD_PAGE) break;
      after = last.value.id;
    }
    this.loadedAtMs = nowMs;
  }

  /** Takes a host document into account unless the index already knows a later revision of it. */
  observe(host: Host, revision: number): HostCapacity {
    const known = this.hosts.get(host.id);
    if (known && known.capacity.revision > revision) return known.capacity;
    return this.put(host, revision).capacity;
  }

  forget(hostId: string): void {
    const known = this.hosts.get(hostId);
    if (!known) return;
    this.hosts.delete(hostId);
    this.leave(known);
  }

  allBuckets(): IterableIterator<HostBucket> {
    return this.buckets.values();
  }

  private put(host: Host, revision: number): IndexedHost {
    const known = this.hosts.get(host.id);
    if (known) this.leave(known);
    const entry = { capacity: capacityOf(host, revision, this.cpuAllocationRatio), tieBreak: mix(host.id, this.salt) };
    this.hosts.set(host.id, entry);
    const key = bucketKey(entry.capacity);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new HostBucket(key);
      this.buckets.set(key, bucket);
    }
    bucket.add(entry);
    return entry;
  }

  private leave(entry: IndexedHost): void {
    const key = bucketKey(entry.capacity);
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    bucket.remove(entry.capacity.hostId);
    if (bucket.hosts.size === 0) this.buckets.delete(key);
  }
}

function bucketKey(capacity: HostCapacity): string {
  return `${capacity.zoneId}\n${capacity.regionId}\n${capacity.signature}`;
}

/** FNV-1a of the id, seeded: a stable pseudo-random order per scheduler. */
function mix(id: string, salt: number): number {
  let hash = (0x811c9dc5 ^ salt) >>> 0;
  for (let index = 0; index < id.length; index += 1) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
