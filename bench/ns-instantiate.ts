/**
 * NS instantiation through the whole product: the web-chain NS (3 VNFs: fw, lb with 2 VNFCs, dpi; 2 virtual
 * links, 2 SAPs, 1 chain) on a libvirt `test:///default` host and a harness Open vSwitch. N cycles of: create
 * the NS instance -> instantiate -> COMPLETED -> terminate -> COMPLETED -> delete. After every terminate the
 * cycle checks that nothing was left behind (placement claims on the host, libvirt domains, VNF instances,
 * ports, networks, port chains) and fails loudly otherwise. Needs root.
 *
 * Instantiate latency of a cycle: the occurrence's own `startTime` (when the instantiate POST persisted it)
 * to its `stateEnteredTime` in the COMPLETED view (when the last step's result and the COMPLETED state were
 * committed), so neither the HTTP round trips nor the client's poll period (5 ms, only to find out that the
 * occurrence settled) are counted. Both are millisecond timestamps. p50 and p99 are nearest-rank percentiles
 * (the ceil(q * n)-th smallest sample): with 50 cycles, p99 is the slowest cycle.
 *
 *   npm run bench:ns-instantiate          (NFV_BENCH_NS_CYCLES sets N, default 50)
 *
 * Prints: ns-instantiate: p50=<ms> p99=<ms> vnf-parallelism=<most VNF instantiations seen in flight at once>
 */
import type { NfvoModule } from '../nfvo/index.js';
import type { Json } from '../test/nfvo/support/api.js';
import { LifecycleLab } from '../test/support/lifecycle-lab.js';

const CYCLES = Number(process.env.NFV_BENCH_NS_CYCLES ?? 50);
const NSD_ID = 'ebf4175f-5b60-4390-93d7-2e81239dc074';
const NS = '/nslcm/v1/ns_instances';
const NS_OCCS = '/nslcm/v1/ns_lcm_op_occs';
const POLL_MS = 5;
const SETTLE_TIMEOUT_MS = 120_000;
const SETTLED = new Set(['COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLED_BACK']);

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

function sap(sapdId: string, address: string): Json {
  return { sapdId, sapName: sapdId, sapProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET', ipOverEthernet: { ipAddresses: [{ type: 'IPV4', fixedAddresses: [address] }] } }] };
}

/** Reads the occurrence as a client would, every POLL_MS, until it is settled; fails unless COMPLETED. */
async function completed(lab: LifecycleLab, occurrenceId: string, what: string): Promise<Json> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const answer = await lab.api.get(`${NS_OCCS}/${occurrenceId}`);
    if (answer.status !== 200) throw new Error(`${what}: reading occurrence ${occurrenceId} answered ${answer.status} ${answer.bytes.toString()}`);
    const state = String(answer.json.operationState);
    if (SETTLED.has(state)) {
      if (state !== 'COMPLETED') throw new Error(`${what} ended ${state}: ${JSON.stringify(answer.json.error ?? {})}`);
      return answer.json;
    }
    if (Date.now() > deadline) throw new Error(`${what}: occurrence ${occurrenceId} is still ${state} after ${SETTLE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function count(lab: LifecycleLab, path: string, field?: string): Promise<number> {
  const answer = await lab.api.get(path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.bytes.toString()}`);
  const items = field === undefined ? (answer.json as unknown) : answer.json[field];
  if (!Array.isArray(items)) throw new Error(`GET ${path}: no list in ${answer.bytes.toString().slice(0, 200)}`);
  return items.length;
}

async function ourDomains(lab: LifecycleLab): Promise<string[]> {
  const host = await lab.vim.inventory.host(lab.hostId);
  if (!host) throw new Error(`host ${lab.hostId} is gone`);
  return (await (await lab.vim.compute.driverOf(host.value)).list()).filter((domain) => domain.name.startsWith('vnf-')).map((domain) => domain.name);
}

/** Fails unless everything the NS had is gone again. */
async function nothingLeft(lab: LifecycleLab, cycle: number, networksBefore: number): Promise<void> {
  const leaks: string[] = [];
  const claims = await lab.vim.scheduler.claimsOf({ hostId: lab.hostId });
  if (claims.length > 0) leaks.push(`${claims.length} placement claims on host ${lab.hostId} (owners ${[...new Set(claims.map((claim) => claim.owner))].join(', ')})`);
  const domains = await ourDomains(lab);
  if (domains.length > 0) leaks.push(`libvirt domains ${domains.join(', ')}`);
  const vnfs = await count(lab, '/vnflcm/v1/vnf_instances');
  if (vnfs > 0) leaks.push(`${vnfs} VNF instances`);
  const ports = await count(lab, '/v2.0/ports', 'ports');
  if (ports > 0) leaks.push(`${ports} ports`);
  const networks = await count(lab, '/v2.0/networks', 'networks');
  if (networks !== networksBefore) leaks.push(`${networks} networks (${networksBefore} before the cycle)`);
  const chains = await count(lab, '/v2.0/ts/port_chains', 'port_chains');
  if (chains > 0) leaks.push(`${chains} port chains`);
  if (leaks.length > 0) throw new Error(`cycle ${cycle}: after terminate the NS left behind ${leaks.join('; ')}`);
}

async function cycle(lab: LifecycleLab, index: number): Promise<number> {
  const networksBefore = await count(lab, '/v2.0/networks', 'networks');
  const created = await lab.api.post(NS, { nsdId: NSD_ID, nsName: `bench-${index}`, nsDescription: 'EXT -> FW -> LB -> web' });
  if (created.status !== 201) throw new Error(`cycle ${index}: create NS answered ${created.status} ${created.bytes.toString()}`);
  const nsId = String(created.json.id);

  const instantiation = await lab.task(`${NS}/${nsId}/instantiate`, { nsFlavourId: 'default', sapData: [sap('ext', '198.18.1.1'), sap('web', '198.18.1.5')] });
  const done = await completed(lab, instantiation, `cycle ${index}: instantiate`);
  const latencyMs = Date.parse(String(done.stateEnteredTime)) - Date.parse(String(done.startTime));
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`cycle ${index}: occurrence times make no sense: ${String(done.startTime)} -> ${String(done.stateEnteredTime)}`);
  const state = (await lab.api.get(`${NS}/${nsId}`)).json.nsState;
  if (state !== 'INSTANTIATED') throw new Error(`cycle ${index}: the instantiate occurrence is COMPLETED but the NS is ${String(state)}`);

  const termination = await lab.task(`${NS}/${nsId}/terminate`, {});
  await completed(lab, termination, `cycle ${index}: terminate`);
  await nothingLeft(lab, index, networksBefore);

  const deleted = await lab.api.delete(`${NS}/${nsId}`);
  if (deleted.status !== 204) throw new Error(`cycle ${index}: delete NS answered ${deleted.status} ${deleted.bytes.toString()}`);
  return latencyMs;
}

async function main(): Promise<void> {
  if (!Number.isInteger(CYCLES) || CYCLES < 1) throw new Error(`NFV_BENCH_NS_CYCLES must be a positive integer, not ${process.env.NFV_BENCH_NS_CYCLES}`);
  const lab = await LifecycleLab.start({ nsd: true, env: { NFV_LOG_LEVEL: 'silent' } });
  try {
    const latencies: number[] = [];
    for (let index = 0; index < CYCLES; index += 1) latencies.push(await cycle(lab, index));
    const nfvo = lab.product.application.modules.find((module) => module.name === 'nfvo') as NfvoModule;
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`ns-instantiate: p50=${percentile(sorted, 0.5).toFixed(1)} p99=${percentile(sorted, 0.99).toFixed(1)} vnf-parallelism=${nfvo.nsLifecycle().maxParallelVnfs}`);
  } finally {
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(String((error as Error).stack ?? error).slice(0, 2000));
  process.exitCode = 1;
});
