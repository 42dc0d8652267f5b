/**
 * Weighers rank the hosts that passed every filter. Each one is a strategy that answers a raw value for a
 * host with the fit chosen on it (higher is better); values are scaled to 0..1 across the candidates and
 * summed with the deployment's weights, so strategies combine instead of one overriding the rest.
 */
import { KIB_PER_MIB } from '../inventory/model.js';
import type { HostCapacity } from './capacity.js';
import type { Fit } from './fitter.js';
import type { GuestShape } from './request.js';

export type WeigherName = 'pack' | 'spread' | 'numaBalance' | 'leastVfUsage';

export type WeigherWeights = Readonly<Partial<Record<WeigherName, number>>>;

/**
 * Fill hosts before opening new ones (whole hosts stay free for big guests) and spread VF use. A positive
 * numaBalance weight also makes the fitter prefer the emptier cells of a host over the fuller ones.
 */
export const DEFAULT_WEIGHTS: WeigherWeights = { pack: 1, leastVfUsage: 0.5 };

export const WEIGHER_NAMES: readonly WeigherName[] = ['pack', 'spread', 'numaBalance', 'leastVfUsage'];

type Weigher = (capacity: HostCapacity, fit: Fit, shape: GuestShape) => number;

/** How full the host is after the placement: the mean used fraction of dedicated threads, shared vCPUs and memory. */
function usedFraction(capacity: HostCapacity, fit: Fit): number {
  const used = fit.consumption;
  let threads = 0;
  let freeThreads = 0;
  let memory = 0;
  let freeMemory = capacity.floatingMemoryFreeMiB - used.floatingMemoryMiB;
  capacity.cells.forEach((cell, index) => {
    threads += cell.guestThreads;
    freeThreads += cell.freeThreads - (used.threads[index] ?? 0);
    memory += cell.memoryMiB;
    freeMemory -= (used.smallMemoryMiB[index] ?? 0) + (used.hugepagesMiB[index] ?? 0);
    for (const page of cell.pages) {
      memory += (page.allocatable * page.sizeKiB) / KIB_PER_MIB;
      freeMemory += (page.free * page.sizeKiB) / KIB_PER_MIB;
    }
  });
  const sharedTotal = capacity.sharedVcpusFree + capacity.sharedVcpusUsed;
  const fraction = (free: number, total: number): number => (total <= 0 ? 1 : 1 - free / total);
  return (fraction(freeThreads, threads) + fraction(capacity.sharedVcpusFree - used.sharedVcpus, sharedTotal) + fraction(freeMemory, memory)) / 3;
}

const WEIGHERS: Readonly<Record<WeigherName, Weigher>> = {
  pack: (capacity, fit) => usedFraction(capacity, fit),
  spread: (capacity, fit) => -usedFraction(capacity, fit),
  /** The smaller the gap between the freest and the fullest cell (by free threads) afterwards, the better. */
  numaBalance: (capacity, fit) => {
    const fractions = capacity.cells.flatMap((cell, index) =>
      cell.guestThreads === 0 ? [] : [(cell.freeThreads - (fit.consumption.threads[index] ?? 0)) / cell.guestThreads],
    );
    return fractions.length === 0 ? 0 : Math.min(...fractions) - Math.max(...fractions);
  },
  /** The larger the share of VFs left free on the physical networks the guest asks for, the better. */
  leastVfUsage: (capacity, fit, shape) => {
    if (shape.devices.length === 0) return 0;
    const networks = new Set(shape.devices.map((device) => device.physicalNetwork));
    const pfs = capacity.pfs.filter((pf) => networks.has(undefined) || networks.has(pf.physicalNetwork));
    const total = pfs.reduce((sum, pf) => sum + pf.vfs, 0);
    const free = pfs.reduce((sum, pf) => sum + pf.freeVfs - (fit.consumption.vfs[pf.index] ?? 0), 0);
    return total === 0 ? 0 : free / total;
  },
};

/** The raw value of every weighted strategy, in the order of `WEIGHER_NAMES`. */
export function weigh(capacity: HostCapacity, fit: Fit, shape: GuestShape, weights: WeigherWeights): number[] {
  return WEIGHER_NAMES.map((name) => ((weights[name] ?? 0) === 0 ? 0 : WEIGHERS[name](capacity, fit, shape)));
}

/** Scales each strategy's values to 0..1 across the candidates and sums them with their weights. */
export class WeightedSum {
  private readonly low: number[] = WEIGHER_NAMES.map(() => Number.POSITIVE_INFINITY);
  private readonly high: number[] = WEIGHER_NAMES.map(() => Number.NEGATIVE_INFINITY);

  constructor(private readonly weights: WeigherWeights) {}

  observe(values: readonly number[]): void {
    values.forEach((value, index) => {
      this.low[index] = Math.min(this.low[index] ?? value, value);
      this.high[index] = Math.max(this.high[index] ?? value, value);
    });
  }

  score(values: readonly number[]): number {
    let total = 0;
    values.forEach((value, index) => {
      const weight = this.weights[WEIGHER_NAMES[index] as WeigherName] ?? 0;
      const low = this.low[index] ?? 0;
      const range = (this.high[index] ?? 0) - low;
      if (weight !== 0 && range > 0) total += (weight * (value - low)) / range;
    });
    return total;
  }
}
