/**
 * Chain programming through the whole product: N networking-sfc port chains (3 hops, 2 flow classifiers
 * each) created one after the other through the API against one harness Open vSwitch that the product sets
 * up and binds itself (service-function ports are OVS patch ports carrying `external_ids:iface-id`: cheap,
 * and bound exactly like VM ports). For each chain: the time from sending the port chain's POST until its
 * classification flows are on the switch, seen through a second OpenFlow session on the bridge's management
 * socket (the switch, not our own state). Then the orchestrator is restarted on the same store, and the
 * time until the switch's state has been replaced by the new process is measured the same way. Needs root.
 *
 *   npm run bench:chains                 (NFV_BENCH_CHAINS sets N, default 1000)
 *
 * Prints: chains: n=<N> api-to-switch p50=<ms> p99=<ms> total=<s> reconcile-after-restart=<ms>
 */
import net from 'node:net';
import path from 'node:path';
import { createLogger } from '../platform/index.js';
import { SwitchConnection, type FlowStats } from '../sfc/index.js';
import { cookieOf, OUR_COOKIE, OUR_COOKIE_MASK } from '../sfc/flows/index.js';
import { run } from '../test/support/command.js';
import { OvsInstance } from '../test/support/ovs.js';
import { controllerSocketIn, INTEGRATION_BRIDGE, SfcProduct } from '../test/support/sfc-product.js';

const CHAINS = Number(process.env.NFV_BENCH_CHAINS ?? 1000);
const HOPS = 3;
const PLUG_BATCH = 1000;
const SEEN_TIMEOUT_MS = 60000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** An OpenFlow session on the bridge's own management socket, as ovs-ofctl opens one. */
async function observe(ovs: OvsInstance): Promise<SwitchConnection> {
  const socket = net.connect(path.join(ovs.dir, `${INTEGRATION_BRIDGE}.mgmt`));
  const connection = new SwitchConnection(socket, { logger: createLogger('silent'), requestTimeoutMs: 30000, echoIntervalMs: 60000 });
  await new Promise<void>((resolve, reject) => {
    connection.once('ready', resolve);
    connection.once('close', (reason) => reject(new Error(reason)));
  });
  return connection;
}

async function flowsWithCookie(observer: SwitchConnection, cookie: bigint, mask: bigint): Promise<FlowStats[]> {
  const replies = await observer.multipart({ kind: 'flow', tableId: 0xff, cookie, cookieMask: mask, match: {} });
  return replies.flatMap((reply) => (reply.kind === 'flow' ? reply.flows : []));
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = SEEN_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Plugs Neutron ports into the bridge as patch-port pairs (each end bound to one port). */
async function plug(ovs: OvsInstance, portIds: string[]): Promise<void> {
  for (let start = 0; start < portIds.length; start += PLUG_BATCH) {
    const args: string[] = [];
    const batch = portIds.slice(start, start + PLUG_BATCH);
    for (let index = 0; index < batch.length; index += 2) {
      const [a, b] = [`pp${start + index}`, `pp${start + index + 1}`];
      args.push('--', 'add-port', INTEGRATION_BRIDGE, a, '--', 'set', 'interface', a, 'type=patch', `options:peer=${b}`, `external_ids:iface-id=${batch[index]}`);
      const second = batch[index + 1];
      if (second !== undefined) args.push('--', 'add-port', INTEGRATION_BRIDGE, b, '--', 'set', 'interface', b, 'type=patch', `options:peer=${a}`, `external_ids:iface-id=${second}`);
    }
    // Not the harness's 10 s limit: one ovs-vsctl run reads the whole (growing) database.
    await run('ovs-vsctl', [`--db=${ovs.ovsdbRemote}`, '--no-wait', '--timeout=600', ...args], { env: ovs.env, timeoutMs: 600000 });
  }
}

async function main(): Promise<void> {
  const ovs = await OvsInstance.start('bench');
  const socket = controllerSocketIn(ovs);
  let sfc = await SfcProduct.start(ovs, { controllerSocket: socket, env: { NFV_SFC_AUDIT_INTERVAL: '30', NFV_SFC_HOST_REFRESH_INTERVAL: '2' } });
  try {
    const post = async (resource: string, body: object): Promise<{ id: string; chain_id?: number }> => {
      const answer = (await sfc.call('POST', resource, body)) as Record<string, { id: string; chain_id?: number }>;
      return Object.values(answer)[0] as { id: string; chain_id?: number };
    };
    const source = await sfc.port('source', '198.18.0.1');
    const functionPorts: string[] = [];
    for (let index = 0; index < CHAINS * HOPS * 2; index += 1) functionPorts.push((await post('/v2.0/ports', { port: { network_id: sfc.networkId, device_id: `sf-${index >> 1}`, device_owner: 'compute:bench' } })).id);
    await plug(ovs, [source.id, ...functionPorts]);
    await until('every port to be bound', async () => {
      const ports = (await sfc.call('GET', '/v2.0/ports?status=ACTIVE&fields=id')) as { ports: unknown[] };
      return ports.ports.length === functionPorts.length + 1 ? true : undefined;
    }, 300000);

    const observer = await observe(ovs);
    const latencies: number[] = [];
    const started = Date.now();
    let lastChainId = 0;
    for (let chain = 0; chain < CHAINS; chain += 1) {
      const destination = `10.${chain >> 8}.${chain & 0xff}`;
      const classifiers = [
        await post('/v2.0/sfc/flow_classifiers', { flow_classifier: { protocol: 'tcp', destination_port_range_min: 80, destination_port_range_max: 80, destination_ip_prefix: `${destination}.1/32`, logical_source_port: source.id } }),
        await post('/v2.0/sfc/flow_classifiers', { flow_classifier: { protocol: 'udp', destination_port_range_min: 53, destination_port_range_max: 53, destination_ip_prefix: `${destination}.2/32`, logical_source_port: source.id } }),
      ];
      const groups: string[] = [];
      for (let hop = 0; hop < HOPS; hop += 1) {
        const base = (chain * HOPS + hop) * 2;
        const pair = await post('/v2.0/sfc/port_pairs', { port_pair: { ingress: functionPorts[base], egress: functionPorts[base + 1] } });
        groups.push((await post('/v2.0/sfc/port_pair_groups', { port_pair_group: { port_pairs: [pair.id] } })).id);
      }
      const sent = performance.now();
      const created = await post('/v2.0/sfc/port_chains', { port_chain: { port_pair_groups: groups, flow_classifiers: classifiers.map((one) => one.id) } });
      lastChainId = created.chain_id ?? 0;
      const cookie = cookieOf('classify', lastChainId);
      await until(`chain ${lastChainId} on the switch`, async () => ((await flowsWithCookie(observer, cookie, (1n << 64n) - 1n)).length === 2 ? true : undefined));
      latencies.push(performance.now() - sent);
    }
    const totalSeconds = (Date.now() - started) / 1000;
    const ours = (await flowsWithCookie(observer, OUR_COOKIE, OUR_COOKIE_MASK)).length;

    // Restart: the switch keeps its flows (fail_mode=secure); the new process replaces our part in one
    // bundle, which gives every flow of ours a new age.
    await sfc.stopKeepingData();
    const restarted = Date.now();
    const restartedAt = performance.now();
    sfc = await SfcProduct.restart(sfc, ovs, socket);
    const lastCookie = cookieOf('classify', lastChainId);
    await until('the switch state to be replaced by the new process', async () => {
      const [flow] = await flowsWithCookie(observer, lastCookie, (1n << 64n) - 1n);
      return flow !== undefined && flow.durationSec * 1000 + flow.durationNsec / 1e6 < Date.now() - restarted ? true : undefined;
    });
    const reconcileMs = performance.now() - restartedAt;
    const after = (await flowsWithCookie(observer, OUR_COOKIE, OUR_COOKIE_MASK)).length;
    if (after !== ours) throw new Error(`after the restart the switch holds ${after} of our flows, before it held ${ours}`);
    observer.close('bench done');

    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `chains: n=${CHAINS} api-to-switch p50=${quantile(sorted, 0.5).toFixed(1)} p99=${quantile(sorted, 0.99).toFixed(1)} total=${totalSeconds.toFixed(1)} reconcile-after-restart=${reconcileMs.toFixed(0)}`,
    );
  } finally {
    await sfc.stop();
    await ovs.stop();
  }
}

await main().catch((error: unknown) => {
  // Command errors carry their (very long) command lines: the first lines say enough.
  console.error(String((error as Error).stack ?? error).slice(0, 2000));
  process.exitCode = 1;
});
