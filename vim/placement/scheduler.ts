/**
 * Places VNFCs on hosts and claims what they use.
 *
 * A placement filters every host in scope (zone, state, groups, OVS-DPDK, then the NUMA fitter, which says
 * which constraint a host fails), weighs the rest with the deployment's strategies, re-reads the best
 * host's document, pins the fit on it, and commits in one `store.commit`: the host document at the
 * revision it read, the claim, and the documents of the groups the VNFC joins. If anyone changed one of
 * them meanwhile, the commit is refused whole; the placement re-reads and tries again, on the next best host
 * if this one no longer fits, a bounded number of times.
 *
 * Within one scheduler, placements and releases run one at a time: the embedded store commits
 * synchronously anyway, and a placement that waits is cheaper than one that loses a race. Schedulers in
 * other processes (or on other store connections) are kept honest by the revisions.
 */
import { randomUUID } from 'node:crypto';
import { StoreConflictError, type Repository, type Store, type Versioned, type Write } from '../../platform/index.js';
import { CLAIMS, HOSTS, PLACEMENT_GROUPS } from '../inventory/collections.js';
import type { HostChange, Inventory } from '../inventory/inventory.js';
import type { Host } from '../inventory/model.js';
import type { HostCapacity } from './capacity.js';
import { CapacityIndex, type IndexedHost } from './capacity-index.js';
import type { Claim } from './claim.js';
import { fitGuest, type CellChoice, type Fit } from './fitter.js';
import { groupAllows, groupMismatch, withMember, type GroupState, type PlacementGroup } from './groups.js';
import { pinFit, releaseFromHost } from './pinning.js';
import { contention, invalidRequest, noHost, reasonKey, type HostRuledOut, type PlacementRefusal, type RefusalReason } from './refusal.js';
import { shapeOf, type GuestShape, type PlacementRequest } from './request.js';
import { DEFAULT_WEIGHTS, WeightedSum, weigh, type WeigherWeights } from './weighers.js';

export interface SchedulerOptions {
  /** Weights of the placement strategies (pack, spread, numaBalance, leastVfUsage); others count 0. */
  weights?: WeigherWeights;
  /** vCPUs of shared-CPU guests per unpinned host thread. */
  cpuAllocationRatio?: number;
  /** Lost races (refused commits) a placement or release tolerates before it gives up. */
  maxConflicts?: number;
  /** Hosts a placement may try (each found changed on re-reading) before it re-reads them all. */
  maxHostsTried?: number;
  /** A refusal first re-reads every host when the index is older than this. */
  reloadBeforeRefusalAfterMs?: number;
  /** Seeds the order among equally good hosts. */
  tieBreakSeed?: number;
  /** Keeps the index in step with the inventory's writes. */
  inventory?: Inventory;
  now?: () => Date;
}

/** Where a placed VNFC runs, as the compute driver and the switch need it. */
export interface PlacedHost {
  id: string;
  name: string;
  zoneId: string;
  regionId: string;
  libvirtUri: string;
  ovsdbEndpoint: string | undefined;
}

export interface Placement {
  claim: Claim;
  host: PlacedHost;
  /** Why this host: absent when an earlier placement with the same claim id is answered again. */
  rationale?: PlacementRationale;
}

/** The ranking that chose the host, for operators asking "why there". */
export interface PlacementRationale {
  /** The weighted sum of the weighers (0..total weight), highest wins. */
  score: number;
  /** The chosen layout's cost: stranded sibling threads, non-local devices, less-wanted page sizes. */
  layoutCost: number;
  weights: WeigherWeights;
  /** Hosts in the request's zones/region, and how many distinct host shapes could take the VNFC. */
  hostsInScope: number;
  candidateShapes: number;
}

export type PlacementOutcome = { ok: true; placement: Placement } | { ok: false; refusal: PlacementRefusal };

/** A release that kept losing races to concurrent writers; nothing of this claim was given back. */
export class ClaimReleaseError extends Error {
  constructor(
    readonly claimId: string,
    readonly attempts: number,
  ) {
    super(`claim ${claimId} could not be released: its host changed under ${attempts} attempts in a row; retry`);
    this.name = 'ClaimReleaseError';
  }
}

/** What the scheduler did since it opened, for metrics and for tests that want to see races happen. */
export interface SchedulerCounters {
  placed: number;
  refused: number;
  /** Commits refused because a host or group document changed since it was read. */
  conflicts: number;
  /** Hosts whose summary was found stale on re-reading their document. */
  staleHosts: number;
  /** Full re-reads of every host. */
  reloads: number;
  released: number;
}

interface Evaluation {
  fit?: Fit;
  values?: number[];
  lack?: HostRuledOut;
}

interface Ranking {
  best: IndexedHost | undefined;
  rationale: PlacementRationale | undefined;
  hostsInScope: number;
  ruledOut: Map<string, RefusalReason>;
}

const DEFAULT_CPU_ALLOCATION_RATIO = 4;

export class Scheduler {
  private queue: Promise<unknown> = Promise.resolve();
  readonly counters: SchedulerCounters = { placed: 0, refused: 0, conflicts: 0, staleHosts: 0, reloads: 0, released: 0 };
  private readonly weights: WeigherWeights;
  private readonly cellChoice: CellChoice;
  private readonly maxConflicts: number;
  private readonly maxHostsTried: number;
  private readonly reloadAfterMs: number;
  private readonly now: () => Date;
  private readonly unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly store: Store,
    private readonly hosts: Repository<Host>,
    private readonly claims: Repository<Claim>,
    private readonly groups: Repository<PlacementGroup>,
    private readonly index: CapacityIndex,
    options: SchedulerOptions,
  ) {
    this.weights = options.weights ?? DEFAULT_WEIGHTS;
    this.cellChoice = (this.weights.numaBalance ?? 0) > 0 ? 'balance' : 'fill';
    this.maxConflicts = options.maxConflicts ?? 24;
    this.maxHostsTried = options.maxHostsTried ?? 64;
    this.reloadAfterMs = options.reloadBeforeRefusalAfterMs ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.unsubscribe = options.inventory?.onHostChange((change: HostChange) => {
      if (change.kind === 'written') this.index.observe(change.host, change.revision);
      else this.index.forget(change.hostId);
    });
  }

  static async open(store: Store, options: SchedulerOptions = {}): Promise<Scheduler> {
    const hosts = store.collection<Host>(HOSTS);
    const ratio = options.cpuAllocationRatio ?? DEFAULT_CPU_ALLOCATION_RATIO;
    const index = new CapacityIndex(hosts, ratio, options.tieBreakSeed ?? Math.floor(Math.random() * 2 ** 32));
    const scheduler = new Scheduler(store, hosts, store.collection<Claim>(CLAIMS), store.collection<PlacementGroup>(PLACEMENT_GROUPS), index, options);
    await index.load(scheduler.now().getTime());
    return scheduler;
  }

  /** Stops following the inventory. */
  close(): void {
    this.unsubscribe?.();
  }

  /** Re-reads every host document (after changes made elsewhere, when a fresh view matters now). */
  async refresh(): Promise<void> {
    await this.exclusive(() => this.index.load(this.now().getTime()));
  }

  async place(request: PlacementRequest): Promise<PlacementOutcome> {
    const shaped = shapeOf(request.epa);
    if (!shaped.ok) {
      this.counters.refused += 1;
      return { ok: false, refusal: invalidRequest(shaped.problems) };
    }
    const outcome = await this.exclusive(() => this.placeShape(request, shaped.shape));
    if (outcome.ok) this.counters.placed += 1;
    else this.counters.refused += 1;
    return outcome;
  }

  /** Gives back everything the owner's claims hold; answers the claims released. */
  async release(owner: string): Promise<Claim[]> {
    return this.exclusive(async () => {
      const held = await this.claims.query({ where: { owner } });
      for (const { value } of held) await this.releaseClaim(value.id);
      return held.map((entry) => entry.value);
    });
  }

  /** Gives back one claim (a VNFC removed); releasing a claim that is gone is not an error. */
  async releaseOne(claimId: string): Promise<void> {
    await this.exclusive(() => this.releaseClaim(claimId));
  }

  async claimsOf(filter: { owner?: string; hostId?: string } = {}): Promise<Claim[]> {
    const where: Record<string, string> = {};
    if (filter.owner !== undefined) where.owner = filter.owner;
    if (filter.hostId !== undefined) where.hostId = filter.hostId;
    return (await this.claims.query({ where })).map((entry) => entry.value);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async placeShape(request: PlacementRequest, shape: GuestShape): Promise<PlacementOutcome> {
    const claimId = request.claimId ?? randomUUID();
    if (request.claimId !== undefined) {
      const existing = await this.existingPlacement(request);
      if (existing) return existing;
    }
    let groups = await this.readGroups(request);
    let mismatch = groupsRefusal(groups);
    if (mismatch) return mismatch;

    let conflicts = 0;
    let hostsTried = 0;
    let reloaded = false;
    for (;;) {
      const ranking = this.rank(shape, request, groups);
      const candidate = ranking.best?.capacity;
      const budgetSpent = hostsTried >= this.maxHostsTried;
      if (!candidate || budgetSpent) {
        if (!reloaded && (budgetSpent || this.index.ageMs(this.now().getTime()) > this.reloadAfterMs)) {
          await this.index.load(this.now().getTime());
          this.counters.reloads += 1;
          groups = await this.readGroups(request);
          mismatch = groupsRefusal(groups);
          if (mismatch) return mismatch;
          reloaded = true;
          hostsTried = 0;
          continue;
        }
        if (budgetSpent) return { ok: false, refusal: contention(conflicts + hostsTried) };
        return { ok: false, refusal: noHost(shape, { zones: request.zones, regionId: request.regionId }, ranking.hostsInScope, ranking.ruledOut) };
      }
      hostsTried += 1;
      const current = await this.hosts.get(candidate.hostId);
      if (!current) {
        this.index.forget(candidate.hostId);
        continue;
      }
      const fresh = this.index.observe(current.value, current.revision);
      const outcome = this.ruleOut(fresh, shape, groups) ? undefined : fitGuest(fresh, shape, this.cellChoice);
      if (!outcome?.ok) {
        this.counters.staleHosts += 1;
        continue;
      }

      const { host, claim } = pinFit(current.value, shape, outcome.fit, {
        id: claimId,
        tenantId: request.tenantId,
        owner: request.owner,
        label: request.label,
        createdAt: this.now().toISOString(),
        groups: groups.map((group) => group.ref.id),
      });
      const member = { claimId, hostId: host.id, zoneId: host.zoneId };
      const writes: Write[] = [this.hosts.updateWrite(host, current.revision), this.claims.insertWrite(claim)];
      for (const group of groups) {
        const next = withMember(group, request.tenantId, member);
        writes.push(group.stored ? this.groups.updateWrite(next, group.stored.revision) : this.groups.insertWrite(next));
      }
      try {
        const [revision = current.revision + 1] = await this.store.commit(writes);
        this.index.observe(host, revision);
        return { ok: true, placement: { claim, host: placedHost(host), ...(ranking.rationale ? { rationale: ranking.rationale } : {}) } };
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        if (error.collection === CLAIMS.name) {
          const existing = await this.existingPlacement(request);
          if (existing) return existing;
        }
        conflicts += 1;
        this.counters.conflicts += 1;
        if (conflicts > this.maxConflicts) return { ok: false, refusal: contention(conflicts) };
        await backOff(conflicts);
        const reread = await this.hosts.get(candidate.hostId);
        if (reread) this.index.observe(reread.value, reread.revision);
        groups = await this.readGroups(request);
        mismatch = groupsRefusal(groups);
        if (mismatch) return mismatch;
      }
    }
  }

  /** The placement an earlier request with the same claim id made, if there was one. */
  private async existingPlacement(request: PlacementRequest): Promise<PlacementOutcome | undefined> {
    if (request.claimId === undefined) return undefined;
    const claim = (await this.claims.get(request.claimId))?.value;
    if (!claim) return undefined;
    if (claim.owner !== request.owner) {
      return { ok: false, refusal: invalidRequest([`claim ${claim.id} already exists and belongs to ${claim.owner}, not ${request.owner}`]) };
    }
    const host = (await this.hosts.get(claim.hostId))?.value;
    if (!host) return { ok: false, refusal: invalidRequest([`claim ${claim.id} exists but its host ${claim.hostId} is gone`]) };
    return { ok: true, placement: { claim, host: placedHost(host) } };
  }

  private async readGroups(request: PlacementRequest): Promise<GroupState[]> {
    return Promise.all((request.groups ?? []).map(async (ref) => ({ ref, stored: await this.groups.get(ref.id) })));
  }

  /** Whether the request may use this host at all: its state, its datapath, the groups' rules. */
  private ruleOut(capacity: HostCapacity, shape: GuestShape, groups: readonly GroupState[]): HostRuledOut | undefined {
    if (capacity.status !== 'available') return { constraint: capacity.status };
    if (shape.vhostUser && !capacity.ovsDpdk) return { constraint: 'ovs-dpdk' };
    for (const group of groups) {
      if (!groupAllows(group, capacity.hostId, capacity.zoneId)) return { constraint: group.ref.policy, group: group.ref.id };
    }
    return undefined;
  }

  private inScope(capacity: HostCapacity, request: PlacementRequest): boolean {
    if (request.zones && request.zones.length > 0 && !request.zones.includes(capacity.zoneId)) return false;
    return request.regionId === undefined || capacity.regionId === request.regionId;
  }

  /**
   * Filters and weighs every host in scope, a bucket of hosts with equal counts at a time: the fitter and
   * the weighers run once per distinct host shape rather than once per host. Only group rules, which
   * depend on the host's identity, look at hosts one by one.
   */
  private rank(shape: GuestShape, request: PlacementRequest, groups: readonly GroupState[]): Ranking {
    const ruledOut = new Map<string, RefusalReason>();
    const count = (lack: HostRuledOut, hosts: number): void => {
      const key = reasonKey(lack);
      const reason = ruledOut.get(key) ?? { ...lack, hosts: 0 };
      reason.hosts += hosts;
      ruledOut.set(key, reason);
    };
    const evaluations = new Map<string, Evaluation>();
    const candidates: Array<{ host: IndexedHost; fit: Fit; values: number[] }> = [];
    const sum = new WeightedSum(this.weights);
    let hostsInScope = 0;
    for (const bucket of this.index.allBuckets()) {
      const capacity = bucket.sample;
      if (!capacity || !this.inScope(capacity, request)) continue;
      hostsInScope += bucket.hosts.size;
      const unfit = this.ruleOut(capacity, shape, []);
      if (unfit) {
        count(unfit, bucket.hosts.size);
        continue;
      }
      let evaluation = evaluations.get(capacity.signature);
      if (!evaluation) {
        const outcome = fitGuest(capacity, shape, this.cellChoice);
        evaluation = outcome.ok ? { fit: outcome.fit, values: weigh(capacity, outcome.fit, shape, this.weights) } : { lack: outcome.lack };
        evaluations.set(capacity.signature, evaluation);
      }
      if (evaluation.lack || !evaluation.fit || !evaluation.values) {
        count(evaluation.lack ?? { constraint: 'numa-layout' }, bucket.hosts.size);
        continue;
      }
      let best: IndexedHost | undefined;
      if (groups.length === 0) best = bucket.best();
      else {
        let refused = 0;
        best = bucket.best((host) => {
          const breaks = this.ruleOut(host.capacity, shape, groups);
          if (breaks) {
            refused += 1;
            count(breaks, 1);
          }
          return breaks === undefined;
        });
        if (refused === bucket.hosts.size) continue;
      }
      if (!best) continue;
      sum.observe(evaluation.values);
      candidates.push({ host: best, fit: evaluation.fit, values: evaluation.values });
    }
    let best: { host: IndexedHost; score: number; fitScore: number } | undefined;
    for (const candidate of candidates) {
      const score = sum.score(candidate.values);
      const better =
        !best ||
        score > best.score + 1e-12 ||
        (Math.abs(score - best.score) <= 1e-12 &&
          (candidate.fit.score < best.fitScore || (candidate.fit.score === best.fitScore && candidate.host.tieBreak > best.host.tieBreak)));
      if (better) best = { host: candidate.host, score, fitScore: candidate.fit.score };
    }
    const rationale = best && { score: best.score, layoutCost: best.fitScore, weights: this.weights, hostsInScope, candidateShapes: candidates.length };
    return { best: best?.host, rationale, hostsInScope, ruledOut };
  }

  private async releaseClaim(claimId: string): Promise<void> {
    for (let attempt = 1; attempt <= this.maxConflicts; attempt += 1) {
      const stored = await this.claims.get(claimId);
      if (!stored) return;
      const claim = stored.value;
      const host = await this.hosts.get(claim.hostId);
      const groups = await Promise.all(claim.groups.map((id) => this.groups.get(id)));
      const writes: Write[] = [this.claims.deleteWrite(claimId, stored.revision)];
      const released = host ? releaseFromHost(host.value, claim) : undefined;
      if (host && released) writes.push(this.hosts.updateWrite(released, host.revision));
      for (const group of groups) {
        if (!group) continue;
        writes.push(groupWithout(this.groups, group, claimId));
      }
      try {
        const revisions = await this.store.commit(writes);
        if (host && released) this.index.observe(released, revisions[1] ?? host.revision + 1);
        this.counters.released += 1;
        return;
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        this.counters.conflicts += 1;
        await backOff(attempt);
      }
    }
    throw new ClaimReleaseError(claimId, this.maxConflicts);
  }
}

/** Groups stored with another policy or scope than the request says: the request is refused, not guessed at. */
function groupsRefusal(groups: readonly GroupState[]): PlacementOutcome | undefined {
  const problems = groups.map(groupMismatch).filter((problem): problem is string => problem !== undefined);
  return problems.length > 0 ? { ok: false, refusal: invalidRequest(problems) } : undefined;
}

/** The group without the claim; a group left without members is deleted, so none lingers. */
function groupWithout(repo: Repository<PlacementGroup>, group: Versioned<PlacementGroup>, claimId: string): Write {
  const members = group.value.members.filter((member) => member.claimId !== claimId);
  return members.length === 0 ? repo.deleteWrite(group.value.id, group.revision) : repo.updateWrite({ ...group.value, members }, group.revision);
}

function placedHost(host: Host): PlacedHost {
  return { id: host.id, name: host.name, zoneId: host.zoneId, regionId: host.regionId, libvirtUri: host.libvirtUri, ovsdbEndpoint: host.ovsdbEndpoint };
}

/** Jittered, growing pauses, so that writers who collided do not collide again in step. */
function backOff(attempt: number): Promise<void> {
  const ceilingMs = Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}
