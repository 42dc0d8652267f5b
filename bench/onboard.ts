/**
 * VNF package onboarding through the SOL 005 API, under load: the whole product started in-process on a temp
 * data dir, then N copies of the example vFW package, each with its own vnfdId and a 1 to 4 MiB software image,
 * created, uploaded as application/zip and polled until ONBOARDED, all at once. Latency is per package, from
 * its create to the poll that sees it ONBOARDED. Prints one line.
 *
 *   npm run bench:onboard          (NFV_BENCH_PACKAGES sets N, default 200)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildVnfPackage } from '../descriptors/examples/index.js';
import { onboardVnfPackage } from '../test/examples/sol005.js';
import { startProduct } from '../test/support/application.js';

const MiB = 1024 * 1024;
const POLLING = { timeoutMs: 10 * 60 * 1000, intervalMs: 100 };

/** The value at or below which `fraction` of the sorted values lie (nearest rank). */
function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const count = Number(process.env.NFV_BENCH_PACKAGES ?? 200);
  // Built before the clock starts: the figure is the product's, not the zip writer's. Random images, as real
  // ones do not compress either.
  const packages = await Promise.all(
    Array.from({ length: count }, (_, index) => buildVnfPackage('vfw', { vnfdId: randomUUID(), image: randomBytes(MiB + ((index * 7919) % (3 * MiB))) })),
  );
  const product = await startProduct();
  try {
    const started = performance.now();
    const latencies = await Promise.all(
      packages.map(async (zip, index) => {
        const begun = performance.now();
        const pkg = await onboardVnfPackage(product.request, zip, { bench: index }, POLLING);
        if (pkg.onboardingState !== 'ONBOARDED') throw new Error(`package ${index} was refused: ${pkg.onboardingFailureDetails?.detail ?? pkg.onboardingState}`);
        return performance.now() - begun;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const p99 = percentile([...latencies].sort((a, b) => a - b), 0.99);
    console.log(`onboard: ${(count / seconds).toFixed(1)} packages/s p99=${Math.round(p99)} ms (n=${count})`);
  } finally {
    await product.stop();
  }
}

await main();
