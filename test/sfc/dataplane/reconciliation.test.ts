import path from 'node:path';
import { ChainLab, type LabEndpoint, type TransparentFunction } from '../../support/chain-lab.js';
import { waitFor } from '../../support/command.js';
import { OvsInstance } from '../../support/ovs.js';
import { controllerSocketIn, INTEGRATION_BRIDGE, SfcProduct, type NeutronPort } from '../../support/sfc-product.js';
import { stopDaemon } from '../../support/sweep.js';
import { ping, tcpFlows, tcpServer, udpSink, udpStream, type TcpServer, type UdpSink } from '../../support/traffic.js';

/**
 * The product keeps the integration bridge at exactly what it programmed, whatever happens behind its back:
 * flows or groups deleted or changed by hand, a stray flow under our cookie mark, a restart of ovs-vswitchd,
 * a restart of the orchestrator itself (hitless: the secure bridge keeps forwarding meanwhile). Someone
 * else's flow (another cookie) is never touched. "Exactly" is the sorted `ovs-ofctl` dump of flows and
 * groups, without counters, compared line by line with the one taken once the chain was first programmed.
 */
const FOREIGN_FLOW = 'cookie=0x1234,table=40,priority=5,actions=drop';
const FOREIGN_LINE = /^cookie=0x1234, table=40, priority=5 actions=drop$/;
const OUR_STRAY_FLOW = 'cookie=0x4e46000000000099,table=0,priority=999,actions=drop';
/** How long the audit (every 0.5 s) plus one replacement may take to bring the switch back. */
const RESTORE_MS = 5000;

type Role = 'ext' | 'vm' | 'fwIn' | 'fwOut' | 'fwbIn' | 'fwbOut';

describe('reconciliation of the integration bridge with a chain EXT -> FW(primary|backup) -> VM', () => {
  let ovs: OvsInstance;
  let sfc: SfcProduct;
  let lab: ChainLab;
  let controllerSocket: string;
  const port = {} as Record<Role, NeutronPort>;
  let ext: LabEndpoint;
  let vm: LabEndpoint;
  let fw: TransparentFunction;
  let fwBackup: TransparentFunction;
  let web: TcpServer;
  let sink: UdpSink;
  let desired: string[];
  let restarted = false;

  const dump = async (): Promise<string[]> => [...(await ovs.installedFlows(INTEGRATION_BRIDGE)).sort(), ...(await ovs.installedGroups(INTEGRATION_BRIDGE)).sort()];
  const ours = (lines: string[]): string[] => lines.filter((line) => !FOREIGN_LINE.test(line));

  /** Waits until the switch is exactly `expected`; answers how long it took, or fails with a line diff. */
  const backTo = async (expected: string[], timeoutMs = RESTORE_MS): Promise<number> => {
    const started = Date.now();
    const reached = await waitFor('the switch to be back at the desired state', async () => (JSON.stringify(await dump()) === JSON.stringify(expected) ? true : undefined), timeoutMs, 100).catch(() => false);
    if (!reached) expect(await dump()).toEqual(expected);
    return Date.now() - started;
  };

  /** Each installed flow's age (its duration), ours (our cookie mark) or not. */
  const flowAges = async (): Promise<Array<{ ours: boolean; seconds: number }>> =>
    (await ovs.ofctl('dump-flows', INTEGRATION_BRIDGE))
      .split('\n')
      .filter((line) => line.startsWith(' cookie='))
      .map((line) => ({ ours: line.startsWith(' cookie=0x4e46'), seconds: Number(/duration=([\d.]+)s/.exec(line)?.[1]) }));

  /** HTTP from EXT reaches the VM through the primary FW. */
  const httpThroughChain = async (): Promise<void> => {
    const before = await fw.counters();
    const flows = await tcpFlows(ext.namespace, { to: vm.ip, port: 80, count: 5 });
    expect(flows.failed).toBe(0);
    expect((await fw.counters()).redirected.forward - before.redirected.forward).toBeGreaterThanOrEqual(5 * 3);
  };

  /** ovs-vswitchd stopped and started again with OvsInstance.start's arguments, in the switch's namespace. */
  const restartVswitchd = async (): Promise<void> => {
    await stopDaemon(ovs.dir, 'ovs-vswitchd');
    await ovs.namespace.exec(
      'ovs-vswitchd',
      [ovs.ovsdbRemote, `--pidfile=${path.join(ovs.dir, 'ovs-vswitchd.pid')}`, `--log-file=${path.join(ovs.dir, 'ovs-vswitchd.log')}`, '-vconsole:off', '--detach', '--no-chdir'],
      { env: ovs.env },
    );
  };

  beforeAll(async () => {
    ovs = await OvsInstance.start('rec');
    controllerSocket = controllerSocketIn(ovs);
    sfc = await SfcProduct.start(ovs, { controllerSocket });
    lab = new ChainLab(ovs, INTEGRATION_BRIDGE);
    const addresses: Record<Role, string> = { ext: '198.18.40.1', vm: '198.18.40.2', fwIn: '198.18.40.11', fwOut: '198.18.40.12', fwbIn: '198.18.40.21', fwbOut: '198.18.40.22' };
    for (const [name, ip] of Object.entries(addresses) as Array<[Role, string]>) port[name] = await sfc.port(name, ip);
    ext = await lab.endpoint('ext', { mac: port.ext.mac, ip: `${port.ext.ip}/24`, ifaceId: port.ext.id });
    vm = await lab.endpoint('vm', { mac: port.vm.mac, ip: `${port.vm.ip}/24`, ifaceId: port.vm.id });
    fw = await lab.transparentFunction('fw', { ingress: { mac: port.fwIn.mac, ifaceId: port.fwIn.id }, egress: { mac: port.fwOut.mac, ifaceId: port.fwOut.id } });
    fwBackup = await lab.transparentFunction('fwb', { ingress: { mac: port.fwbIn.mac, ifaceId: port.fwbIn.id }, egress: { mac: port.fwbOut.mac, ifaceId: port.fwbOut.id } });
    for (const one of Object.values(port)) await sfc.waitForPortStatus(one.id, 'ACTIVE');
    web = await tcpServer(vm.namespace, vm.ip, 80);
    sink = await udpSink(vm.namespace, vm.ip, 5001);

    const classifiers: string[] = [];
    for (const classifier of [
      { name: 'http', Protocol: 6, port_range: '80:80', dst_ip: `${vm.ip}/32` },
      { name: 'stream', Protocol: 17, port_range: '5001', dst_ip: `${vm.ip}/32` },
    ]) classifiers.push(((await sfc.call('POST', '/v2.0/ts/classifiers', { classifier })) as { classifier: { id: string } }).classifier.id);
    await sfc.call('POST', '/v2.0/ts/port_chains', {
      port_chain: { name: 'FW', classifiers, ports: { [`${port.fwIn.id}|${port.fwbIn.id}`]: [`${port.fwOut.id}|${port.fwbOut.id}`] } },
    });
    await waitFor('the chain to be programmed with its FAST_FAILOVER group', async () => {
      const flows = await ovs.installedFlows(INTEGRATION_BRIDGE);
      const groups = await ovs.installedGroups(INTEGRATION_BRIDGE);
      return flows.some((flow) => /priority=300,tcp/.test(flow)) && flows.some((flow) => /priority=300,udp/.test(flow)) && groups.some((group) => /type=(ff|fast_failover)\b/.test(group)) ? true : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${(await dump()).join('\n')}`);
    });
    // Let the programmer settle (bindings, audits) before the reference is taken: two identical dumps 1.5 s apart.
    await waitFor('a stable dump', async () => {
      const first = await dump();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return JSON.stringify(first) === JSON.stringify(await dump()) ? true : undefined;
    }, 15000);
    await ovs.ofctl('add-flow', INTEGRATION_BRIDGE, FOREIGN_FLOW);
    desired = await dump();
    expect(await ping(ext.namespace, vm.ip, 2)).toBe(2);
  }, 90000);

  afterAll(async () => {
    await sink?.close();
    await web?.close();
    await lab?.close();
    await sfc?.stop();
    await ovs?.stop();
  });

  /** Whatever a failed test left behind, the next starts from `desired` (every one of our flows deleted: a full replace). */
  afterEach(async () => {
    if (desired === undefined) return;
    if (JSON.stringify(await dump()) === JSON.stringify(desired)) return;
    await ovs.ofctl('del-flows', INTEGRATION_BRIDGE, 'cookie=0x4e46000000000000/0xffff000000000000').catch(() => undefined);
    if (!(await dump()).some((line) => FOREIGN_LINE.test(line))) await ovs.ofctl('add-flow', INTEGRATION_BRIDGE, FOREIGN_FLOW);
    await backTo(desired, 10000).catch(() => undefined);
  });

  it('has a reference state: our flows and the FAST_FAILOVER group, plus the foreign flow; HTTP crosses the FW', async () => {
    expect(desired.filter((line) => FOREIGN_LINE.test(line))).toHaveLength(1);
    expect(desired.filter((line) => line.startsWith('group_id='))).toHaveLength(1);
    expect(desired.filter((line) => line.startsWith('cookie=0x4e46')).length).toBeGreaterThan(10);
    await httpThroughChain();
  });

  it('restores a classify flow deleted with del-flows --strict', async () => {
    const classify = (await ovs.installedFlows(INTEGRATION_BRIDGE)).find((flow) => /priority=300,tcp/.test(flow));
    expect(classify).toBeDefined();
    const match = classify!.replace(/^cookie=[^,]+, /, '').split(' actions=')[0]!.replace(/ /g, '');
    await ovs.ofctl('del-flows', '--strict', INTEGRATION_BRIDGE, match);
    expect(await dump()).not.toEqual(desired);
    const tookMs = await backTo(desired);
    console.log(`classify flow restored in ${tookMs} ms`);
    await httpThroughChain();
  });

  it('restores the whole of table 0 deleted with del-flows table=0', async () => {
    await ovs.ofctl('del-flows', INTEGRATION_BRIDGE, 'table=0');
    expect((await ovs.installedFlows(INTEGRATION_BRIDGE)).filter((flow) => /table=0,/.test(flow))).toEqual([]);
    const tookMs = await backTo(desired);
    console.log(`table 0 restored in ${tookMs} ms`);
    await httpThroughChain();
  });

  it('removes a stray flow under our cookie mark', async () => {
    await ovs.ofctl('add-flow', INTEGRATION_BRIDGE, OUR_STRAY_FLOW);
    expect((await dump()).some((line) => line.startsWith('cookie=0x4e46000000000099'))).toBe(true);
    const tookMs = await backTo(desired);
    console.log(`stray flow removed in ${tookMs} ms`);
    await httpThroughChain();
  });

  it('restores a deleted group (and the flows OVS deleted with it)', async () => {
    const groupId = /^group_id=(\d+)/.exec(desired.find((line) => line.startsWith('group_id='))!)![1]!;
    await ovs.ofctl('del-groups', INTEGRATION_BRIDGE, `group_id=${groupId}`);
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).toEqual([]);
    const tookMs = await backTo(desired);
    console.log(`deleted group restored in ${tookMs} ms`);
    await httpThroughChain();
  });

  it('restores a group modified behind our back (its buckets replaced)', async () => {
    const line = desired.find((one) => one.startsWith('group_id='))!;
    const groupId = /^group_id=(\d+)/.exec(line)![1]!;
    // The primary's bucket now drops: same id, same type, different buckets.
    await ovs.ofctl('mod-group', INTEGRATION_BRIDGE, `group_id=${groupId},type=fast_failover,bucket=watch_port:${fw.ingress.ofport},actions=drop`);
    expect(await ovs.installedGroups(INTEGRATION_BRIDGE)).not.toEqual(desired.filter((one) => one.startsWith('group_id=')));
    const tookMs = await backTo(desired);
    console.log(`modified group restored in ${tookMs} ms`);
    await httpThroughChain();
  });

  it('restores a flow whose actions were modified behind our back (mod-flows --strict)', async () => {
    const classify = (await ovs.installedFlows(INTEGRATION_BRIDGE)).find((flow) => /priority=300,tcp/.test(flow))!;
    const match = classify.replace(/^cookie=[^,]+, /, '').split(' actions=')[0]!.replace(/ /g, '');
    await ovs.ofctl('mod-flows', '--strict', INTEGRATION_BRIDGE, `${match},actions=drop`);
    expect(await dump()).not.toEqual(desired);
    const tookMs = await backTo(desired);
    console.log(`modified flow restored in ${tookMs} ms`);
    await httpThroughChain();
  });

  it('reprograms the bridge after ovs-vswitchd restarts (flows lost, the bridge reconnects)', async () => {
    const restarting = Date.now();
    await restartVswitchd();
    await sfc.waitForController(ovs);
    const reconnectedMs = Date.now() - restarting;
    // The foreign flow died with ovs-vswitchd and is not ours to restore: the switch ends at our part of desired.
    const tookMs = await backTo(ours(desired), 15000);
    console.log(`ovs-vswitchd restarted and the bridge reconnected in ${reconnectedMs} ms; at our desired state ${tookMs} ms later`);
    await ovs.ofctl('add-flow', INTEGRATION_BRIDGE, FOREIGN_FLOW);
    await backTo(desired);
    expect(await ping(ext.namespace, vm.ip, 2)).toBe(2);
    await httpThroughChain();
  }, 40000);

  it('a restart of the orchestrator replaces the flows without a gap: a UDP stream through the chain loses nothing', async () => {
    expect(await ping(ext.namespace, vm.ip, 1)).toBe(1);
    const before = await fw.counters();
    const receivedBefore = (await sink.report()).received;
    const rate = 200;
    const stream = udpStream(ext.namespace, { to: vm.ip, port: 5001, rate, durationMs: 10000 });
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await sfc.stopKeepingData();
    restarted = true;
    const stoppedAt = Date.now() - started;
    sfc = await SfcProduct.restart(sfc, ovs, controllerSocket);
    const reconnectedAt = Date.now() - started;
    // The flows never left (fail_mode=secure), so the dump alone cannot tell a replacement happened: the
    // new process's replace bundle re-adds every one of our flows, which restarts their durations.
    const restartedAt = Date.now();
    await waitFor('the new process to have replaced our flows', async () => {
      const ages = await flowAges();
      const oursAges = ages.filter((flow) => flow.ours).map((flow) => flow.seconds);
      return oursAges.length > 0 && oursAges.every((seconds) => seconds * 1000 <= Date.now() - restartedAt + 1000) ? true : undefined;
    }, 5000);
    await backTo(desired);
    const programmedAt = Date.now() - started;
    // Someone else's flow was not re-added: it is as old as before the restart.
    const foreignAgeMs = Math.max(...(await flowAges()).filter((flow) => !flow.ours).map((flow) => flow.seconds)) * 1000;
    expect(foreignAgeMs).toBeGreaterThan(Date.now() - restartedAt + 500);

    const sent = await stream;
    const endedAt = Date.now() - started;
    console.log(`orchestrator restart: stopped at ${stoppedAt} ms, bridge reconnected at ${reconnectedAt} ms, switch at desired at ${programmedAt} ms, stream of ${sent.sent} ended at ${endedAt} ms`);
    expect(programmedAt).toBeLessThan(endedAt);
    expect(sent.errors).toBe(0);
    const report = await waitFor('the stream to arrive', async () => {
      const current = await sink.report(sent.sent);
      return current.missing.length === 0 ? current : undefined;
    }, 2000).catch(() => sink.report(sent.sent));
    expect({ missing: report.missing.length, first: report.missing.slice(0, 10) }).toEqual({ missing: 0, first: [] });
    expect(report.received - receivedBefore).toBe(sent.sent);
    expect((await fw.counters()).redirected.forward - before.redirected.forward).toBe(sent.sent);
    expect((await fwBackup.counters()).redirected.forward).toBe(0);

    expect(await dump()).toEqual(desired);
    await httpThroughChain();
  }, 60000);

  it('the restarted orchestrator still restores drift', async () => {
    expect(restarted).toBe(true);
    await ovs.ofctl('del-flows', INTEGRATION_BRIDGE, 'table=0');
    await backTo(desired);
    await httpThroughChain();
  });
});
