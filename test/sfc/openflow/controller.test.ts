import { BatchError, FLOW_MOD_FLAGS, OpenFlowController, PORT_STATE, type MessageOf, type Outgoing, type SwitchConnection } from '../../../sfc/index.js';
import { waitFor } from '../../support/command.js';
import { NetworkNamespace } from '../../support/netns.js';
import { connectBridge, startController } from '../../support/openflow.js';
import { OvsInstance, type VethAttachment } from '../../support/ovs.js';

const BRIDGE = 'br-sfc';
const apply = (...actions: Extract<Outgoing, { type: 'flow_mod' }>['instructions'][number] extends infer I ? (I extends { type: 'apply_actions'; actions: infer A } ? A : never) : never) =>
  [{ type: 'apply_actions' as const, actions }];

describe('OpenFlow controller with a real Open vSwitch', () => {
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let target: string;
  let sw: SwitchConnection;
  const hosts: Record<'h1' | 'h2' | 'h3', { ns: NetworkNamespace; port: VethAttachment }> = {} as never;
  const portStatus: Array<MessageOf<'port_status'>> = [];

  beforeAll(async () => {
    ovs = await OvsInstance.start('ofc');
    await ovs.addBridge(BRIDGE, { failMode: 'secure', protocols: 'OpenFlow13' });
    ({ controller, target } = await startController(ovs));
    controller.on('port_status', (_switch, message) => portStatus.push(message));
    sw = await connectBridge(ovs, BRIDGE, controller, target);
    for (const [name, address] of [['h1', '198.18.0.1/24'], ['h2', '198.18.0.2/24'], ['h3', '198.18.0.3/24']] as const) {
      const ns = await NetworkNamespace.create(name);
      hosts[name] = { ns, port: await ovs.attach(ns, BRIDGE, { address }) };
    }
  });

  afterAll(async () => {
    await controller?.close();
    for (const host of Object.values(hosts)) await host.ns.delete();
    await ovs?.stop();
  });

  const clearSwitch = async (): Promise<void> => {
    await sw.sendBatch([
      { type: 'flow_mod', command: 'delete', tableId: 0xff, match: {}, instructions: [] },
      { type: 'group_mod', command: 'delete', groupType: 'all', groupId: 0xfffffffc, buckets: [] },
    ]);
  };

  it('completes the handshake and keys the session by the bridge’s datapath id', async () => {
    const datapathId = (await ovs.vsctl('get', 'Bridge', BRIDGE, 'datapath_id')).trim().replace(/"/g, '');
    expect(sw.dpid).toBe(datapathId);
    expect(controller.switch(sw.datapathId as bigint)).toBe(sw);
    await waitFor('OVS to record the controller as connected', async () =>
      (await ovs.vsctl('get', 'Controller', BRIDGE, 'is_connected')).trim() === 'true' ? true : undefined,
    );
    const [desc] = await sw.multipart({ kind: 'desc' });
    expect(desc).toMatchObject({ kind: 'desc', hwDesc: 'Open vSwitch' });
  });

  it('installs flows and groups that ovs-ofctl dumps exactly as meant', async () => {
    await clearSwitch();
    const { h1, h2 } = hosts;
    await sw.sendBatch([
      { type: 'group_mod', command: 'add', groupType: 'select', groupId: 1, buckets: [{ weight: 10, actions: [{ type: 'output', port: h2.port.ofport }] }, { weight: 20, actions: [{ type: 'output', port: h1.port.ofport }] }] },
      {
        type: 'flow_mod',
        command: 'add',
        priority: 300,
        cookie: 0xa1n,
        match: { in_port: h1.port.ofport, eth_type: 0x0800, ip_proto: 6, ipv4_src: '198.18.0.0/24', tcp_dst: { value: 0x1f90, mask: 0xfff0 } },
        instructions: apply({ type: 'set_field', field: 'eth_dst', value: '02:00:00:00:00:09' }, { type: 'output', port: h2.port.ofport }),
      },
      { type: 'flow_mod', command: 'add', priority: 200, cookie: 0xa2n, match: { eth_type: 0x0800, ipv4_dst: '198.18.0.2' }, instructions: apply({ type: 'group', groupId: 1 }) },
      {
        type: 'flow_mod',
        command: 'add',
        priority: 50,
        cookie: 0xa4n,
        match: { in_port: h2.port.ofport },
        instructions: [
          { type: 'write_metadata', metadata: 5n, mask: 0xffn },
          { type: 'goto_table', tableId: 1 },
        ],
      },
      {
        type: 'flow_mod',
        command: 'add',
        tableId: 1,
        priority: 10,
        cookie: 0xa5n,
        idleTimeout: 300,
        match: { metadata: { value: 5n, mask: 0xffn } },
        instructions: apply({ type: 'push_vlan', ethertype: 0x8100 }, { type: 'set_field', field: 'vlan_vid', value: 0x1000 | 100 }, { type: 'output', port: 'normal' }),
      },
    ]);
    expect(await ovs.installedFlows(BRIDGE)).toEqual([
      `cookie=0xa1, table=0, priority=300,tcp,in_port=${h1.port.ofport},nw_src=198.18.0.0/24,tp_dst=0x1f90/0xfff0 actions=set_field:02:00:00:00:00:09->eth_dst,output:${h2.port.ofport}`,
      `cookie=0xa2, table=0, priority=200,ip,nw_dst=198.18.0.2 actions=group:1`,
      `cookie=0xa4, table=0, priority=50,in_port=${h2.port.ofport} actions=write_metadata:0x5/0xff,goto_table:1`,
      `cookie=0xa5, table=1, idle_timeout=300, priority=10,metadata=0x5/0xff actions=push_vlan:0x8100,set_field:4196->vlan_vid,NORMAL`,
    ]);
    expect(await ovs.installedGroups(BRIDGE)).toEqual([
      `group_id=1,type=select,bucket=weight:10,actions=output:${h2.port.ofport},bucket=weight:20,actions=output:${h1.port.ofport}`,
    ]);
  });

  it('programs flows that ofproto/trace follows', async () => {
    const { h1, h2 } = hosts;
    const trace = await ovs.trace(BRIDGE, `in_port=${h1.port.ofport},tcp,nw_src=198.18.0.5,nw_dst=198.18.0.9,tp_dst=8085`);
    expect(trace).toContain('priority 300, cookie 0xa1');
    expect(trace).toContain('set_field:02:00:00:00:00:09->eth_dst');
    expect(trace).toMatch(new RegExp(`output:${h2.port.ofport}`));
    const missed = await ovs.trace(BRIDGE, `in_port=${h1.port.ofport},tcp,nw_src=198.18.0.5,nw_dst=198.18.0.9,tp_dst=8080`);
    expect(missed).toContain('priority 300, cookie 0xa1');
    const outside = await ovs.trace(BRIDGE, `in_port=${h1.port.ofport},tcp,nw_src=198.18.0.5,nw_dst=198.18.0.9,tp_dst=8096`);
    expect(outside).not.toContain('cookie 0xa1');
    expect(outside).toMatch(/No match|drop/);
  });

  it('reads flow statistics that agree with ovs-ofctl after real packets', async () => {
    await clearSwitch();
    const { h1, h2 } = hosts;
    await sw.sendBatch([
      { type: 'flow_mod', command: 'add', priority: 10, cookie: 0xc1n, match: { in_port: h1.port.ofport }, instructions: apply({ type: 'output', port: h2.port.ofport }) },
      { type: 'flow_mod', command: 'add', priority: 10, cookie: 0xc2n, match: { in_port: h2.port.ofport }, instructions: apply({ type: 'output', port: h1.port.ofport }) },
    ]);
    expect(await h1.ns.ping('198.18.0.2', 5)).toBe(5);
    const ourCount = async (): Promise<{ cookie: bigint; packets: bigint; bytes: bigint }[]> => {
      const [reply] = await sw.multipart({ kind: 'flow', cookie: 0xc1n, cookieMask: 0xffffffffffffffffn });
      if (reply?.kind !== 'flow') throw new Error('no flow stats');
      return reply.flows.map((flow) => ({ cookie: flow.cookie, packets: flow.packetCount, bytes: flow.byteCount }));
    };
    // The userspace datapath hands its counters to the OpenFlow tables periodically: wait until they settle.
    let previous = '';
    await waitFor('the flow counters to settle', async () => {
      const now = JSON.stringify(await ourCount(), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
      const settled = now === previous && (await ourCount())[0]!.packets >= 5n;
      previous = now;
      return settled ? true : undefined;
    }, 10000, 300);
    const ours = await ourCount();
    const dump = await ovs.ofctl('dump-flows', BRIDGE, 'cookie=0xc1/-1');
    const theirs = /n_packets=(\d+), n_bytes=(\d+)/.exec(dump);
    expect(ours).toEqual([{ cookie: 0xc1n, packets: BigInt(theirs?.[1] ?? -1), bytes: BigInt(theirs?.[2] ?? -1) }]);
    expect(ours[0]?.packets).toBeGreaterThanOrEqual(5n);
    const [aggregate] = await sw.multipart({ kind: 'aggregate' });
    expect(aggregate).toMatchObject({ kind: 'aggregate', flowCount: 2 });
    const ports = await sw.multipart({ kind: 'port_stats', portNo: h2.port.ofport });
    expect(ports[0]).toMatchObject({ kind: 'port_stats', ports: [{ portNo: h2.port.ofport }] });
  });

  it('applies a bundle atomically: one invalid flow and nothing changes', async () => {
    const before = await ovs.installedFlows(BRIDGE);
    const bundle = sw.bundle([
      { type: 'flow_mod', command: 'add', priority: 99, cookie: 0xb1n, match: { in_port: 1 }, instructions: apply({ type: 'output', port: 2 }) },
      { type: 'flow_mod', command: 'delete', tableId: 0xff, match: {}, instructions: [] },
      { type: 'flow_mod', command: 'add', priority: 98, cookie: 0xb2n, match: { in_port: 2 }, instructions: apply({ type: 'group', groupId: 4242 }) },
    ]);
    await expect(bundle).rejects.toBeInstanceOf(BatchError);
    await expect(bundle).rejects.toMatchObject({ failures: [{ index: 2, error: { typeName: 'BAD_ACTION', codeName: 'BAD_OUT_GROUP' } }] });
    expect(await ovs.installedFlows(BRIDGE)).toEqual(before);

    await sw.bundle([{ type: 'flow_mod', command: 'add', priority: 99, cookie: 0xb1n, match: { in_port: 1 }, instructions: apply({ type: 'output', port: 2 }) }]);
    expect(await ovs.installedFlows(BRIDGE)).toContain('cookie=0xb1, table=0, priority=99,in_port=1 actions=output:2');
  });

  it('receives packets sent to the controller and sends one out of a chosen port', async () => {
    await clearSwitch();
    const { h1, h2 } = hosts;
    await h1.ns.exec('ip', ['neigh', 'replace', '198.18.0.2', 'lladdr', h2.port.mac, 'dev', 'eth0', 'nud', 'permanent']);
    await sw.sendBatch([
      { type: 'flow_mod', command: 'add', priority: 10, cookie: 0xd1n, match: { in_port: h1.port.ofport, eth_type: 0x0800 }, instructions: apply({ type: 'output', port: 'controller' }) },
    ]);
    const packetIn = new Promise<MessageOf<'packet_in'>>((resolve) => controller.once('packet_in', (_switch, message) => resolve(message)));
    await h1.ns.ping('198.18.0.2', 1, 1);
    const message = await packetIn;
    expect(message).toMatchObject({ cookie: 0xd1n, match: { in_port: h1.port.ofport } });
    expect(message.data.readUInt16BE(12)).toBe(0x0800);
    expect(message.data[23]).toBe(1);
    expect(message.data.subarray(0, 6).toString('hex')).toBe(h2.port.mac.replace(/:/g, ''));

    const rx = async (): Promise<number> => Number((await h2.ns.exec('cat', ['/sys/class/net/eth0/statistics/rx_packets'])).stdout.trim());
    const before = await rx();
    sw.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: 'controller', actions: [{ type: 'output', port: h2.port.ofport }], data: message.data });
    await sw.barrier();
    await waitFor('the packet to reach h2', async () => ((await rx()) > before ? true : undefined), 5000);
  });

  it('reports a flow that expires with FLOW_REMOVED', async () => {
    const removed = new Promise<MessageOf<'flow_removed'>>((resolve) => controller.once('flow_removed', (_switch, message) => resolve(message)));
    await sw.sendBatch([
      { type: 'flow_mod', command: 'add', priority: 5, cookie: 0xe1n, hardTimeout: 1, flags: FLOW_MOD_FLAGS.sendFlowRemoved, match: { in_port: 99 }, instructions: [] },
    ]);
    const message = await removed;
    expect(message).toMatchObject({ cookie: 0xe1n, priority: 5, reason: 1, hardTimeout: 1, match: { in_port: 99 } });
  });

  it('moves traffic to the next bucket of a fast-failover group when the watched port goes down', async () => {
    await clearSwitch();
    const { h1, h2, h3 } = hosts;
    // h1 sends to h2's address and MAC; h3 takes the same MAC so that it accepts the frames after failover.
    await h3.ns.exec('ip', ['link', 'set', 'eth0', 'address', h2.port.mac]);
    await h1.ns.exec('ip', ['neigh', 'replace', '198.18.0.2', 'lladdr', h2.port.mac, 'dev', 'eth0', 'nud', 'permanent']);
    await sw.sendBatch([
      {
        type: 'group_mod',
        command: 'add',
        groupType: 'fast_failover',
        groupId: 7,
        buckets: [
          { watchPort: h2.port.ofport, actions: [{ type: 'output', port: h2.port.ofport }] },
          { watchPort: h3.port.ofport, actions: [{ type: 'output', port: h3.port.ofport }] },
        ],
      },
      { type: 'flow_mod', command: 'add', priority: 10, cookie: 0xf1n, match: { in_port: h1.port.ofport, eth_type: 0x0800 }, instructions: apply({ type: 'group', groupId: 7 }) },
    ]);
    const received = async (host: { ns: NetworkNamespace }): Promise<number> =>
      Number((await host.ns.exec('cat', ['/sys/class/net/eth0/statistics/rx_packets'])).stdout.trim());
    const send = (count: number): Promise<number> => h1.ns.ping('198.18.0.2', count, 1);

    const [h2Before, h3Before] = [await received(h2), await received(h3)];
    await send(5);
    expect((await received(h2)) - h2Before).toBeGreaterThanOrEqual(5);
    expect((await received(h3)) - h3Before).toBe(0);

    portStatus.length = 0;
    await ovs.namespace.exec('ip', ['link', 'set', h2.port.port, 'down']);
    const down = await waitFor('a port-status event for the watched port', () =>
      portStatus.find((message) => message.port.portNo === h2.port.ofport && (message.port.state & PORT_STATE.linkDown) !== 0),
    );
    expect(down.reason).toBe('modify');

    const [h2Middle, h3Middle] = [await received(h2), await received(h3)];
    await send(5);
    expect((await received(h3)) - h3Middle).toBeGreaterThanOrEqual(5);
    expect((await received(h2)) - h2Middle).toBe(0);
    await ovs.namespace.exec('ip', ['link', 'set', h2.port.port, 'up']);
  });
});
