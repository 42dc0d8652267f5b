/**
 * Records what Open vSwitch itself sends on OpenFlow 1.3, for the decoder tests
 * (test/fixtures/openflow/ovs-replies.json). Run as root, from the repository root:
 *
 *   node --import tsx test/support/capture-openflow.ts
 *
 * It starts a private OVS, installs flows and groups with ovs-ofctl, lets the bridge connect to a bare
 * socket, sends requests encoded by our codec and keeps every frame the switch answers, byte for byte.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { encodeMessage, OpenFlowFramer, type OfpMessage } from '../../sfc/index.js';
import { OvsInstance } from './ovs.js';

const OUTPUT = path.resolve('test/fixtures/openflow/ovs-replies.json');

async function main(): Promise<void> {
  const ovs = await OvsInstance.start('capture');
  const frames: Array<{ label: string; hex: string }> = [];
  try {
    await ovs.addBridge('br0', { failMode: 'secure', protocols: 'OpenFlow13' });
    for (const [name, ofport] of [['p1', 1], ['p2', 2]] as const) {
      await ovs.vsctl('add-port', 'br0', name, '--', 'set', 'Interface', name, 'type=internal', `ofport_request=${ofport}`);
    }
    const server = net.createServer();
    const socketPath = path.join(ovs.dir, 'capture.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    await ovs.vsctl('set-controller', 'br0', `unix:${socketPath}`);
    const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const framer = new OpenFlowFramer();
    const waiting: Array<(frame: Buffer) => void> = [];
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk).frames) {
        const copy = Buffer.from(frame);
        const next = waiting.shift();
        if (next) next(copy);
        else received.push(copy);
      }
    });
    const nextFrame = (): Promise<Buffer> => {
      const queued = received.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
    };
    /** Waits for the frame answering `xid`, recording it; echo requests are answered on the way. */
    const answer = async (label: string, xid: number): Promise<void> => {
      for (;;) {
        const frame = await nextFrame();
        if (frame.readUInt8(1) === 2) {
          socket.write(encodeMessage({ type: 'echo_reply', xid: frame.readUInt32BE(4), data: Buffer.alloc(0) }));
          continue;
        }
        frames.push({ label: frame.readUInt32BE(4) === xid ? label : `unsolicited type ${frame.readUInt8(1)}`, hex: frame.toString('hex') });
        if (frame.readUInt32BE(4) === xid) return;
      }
    };
    const hello = await nextFrame();
    frames.push({ label: 'hello', hex: hello.toString('hex') });
    socket.write(encodeMessage({ type: 'hello', xid: 1, versions: [4] }));
    // Flows and groups come after the controller connects: OVS flushes the flow table when a bridge goes
    // from no controller to one.
    await ovs.ofctl('add-group', 'br0', 'group_id=7,type=select,bucket=weight:10,actions=output:1,bucket=weight:20,actions=output:2');
    await ovs.ofctl('add-group', 'br0', 'group_id=8,type=fast_failover,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,actions=output:2');
    await ovs.ofctl(
      'add-flow',
      'br0',
      'table=0,priority=300,cookie=0xabc,tcp,in_port=1,nw_src=198.18.0.0/24,nw_dst=198.18.1.5,tp_dst=0x1f90/0xfff0,actions=set_field:02:00:00:00:00:09->eth_dst,push_vlan:0x8100,set_field:4196->vlan_vid,group:7',
    );
    await ovs.ofctl('add-flow', 'br0', 'table=0,priority=100,udp6,ipv6_src=2001:db8::/32,udp_src=53,actions=write_metadata:0x5/0xff,goto_table:2');
    await ovs.ofctl('add-flow', 'br0', 'table=2,priority=1,ip,metadata=0x5/0xff,actions=dec_ttl,output:CONTROLLER');
    await ovs.ofctl('add-flow', 'br0', 'table=2,priority=0,actions=clear_actions,write_actions(output:2)');
    await ovs.ofctl('add-flow', 'br0', 'table=0,priority=5,arp,actions=NORMAL');

    const requests: Array<[string, OfpMessage]> = [
      ['features_reply', { type: 'features_request', xid: 100 }],
      ['get_config_reply', { type: 'get_config_request', xid: 101 }],
      ['desc_reply', { type: 'multipart_request', xid: 102, flags: 0, body: { kind: 'desc' } }],
      ['port_desc_reply', { type: 'multipart_request', xid: 103, flags: 0, body: { kind: 'port_desc' } }],
      ['flow_stats_reply', { type: 'multipart_request', xid: 104, flags: 0, body: { kind: 'flow' } }],
      ['aggregate_reply', { type: 'multipart_request', xid: 105, flags: 0, body: { kind: 'aggregate' } }],
      ['group_desc_reply', { type: 'multipart_request', xid: 106, flags: 0, body: { kind: 'group_desc' } }],
      ['group_stats_reply', { type: 'multipart_request', xid: 107, flags: 0, body: { kind: 'group' } }],
      ['port_stats_reply', { type: 'multipart_request', xid: 108, flags: 0, body: { kind: 'port_stats', portNo: 1 } }],
      ['table_stats_reply', { type: 'multipart_request', xid: 109, flags: 0, body: { kind: 'table' } }],
      ['barrier_reply', { type: 'barrier_request', xid: 110 }],
      ['role_reply', { type: 'role_request', xid: 111, role: 'master', generationId: 3n }],
      ['echo_reply', { type: 'echo_request', xid: 112, data: Buffer.from('ping') }],
      ['error_bad_out_group', { type: 'flow_mod', xid: 113, command: 'add', match: {}, instructions: [{ type: 'apply_actions', actions: [{ type: 'group', groupId: 99 }] }] }],
      ['error_bad_type', { type: 'unknown', xid: 114, code: 99, data: Buffer.alloc(0) }],
      ['bundle_open_reply', { type: 'bundle_control', xid: 115, bundleId: 1, controlType: 'open_request', flags: 1 }],
      ['bundle_commit_reply', { type: 'bundle_control', xid: 116, bundleId: 1, controlType: 'commit_request', flags: 1 }],
    ];
    for (const [label, request] of requests) {
      socket.write(encodeMessage(request));
      await answer(label, request.xid);
    }
    await ovs.vsctl('add-port', 'br0', 'p3', '--', 'set', 'Interface', 'p3', 'type=internal', 'ofport_request=3');
    const status = await nextFrame();
    frames.push({ label: 'port_status_add', hex: status.toString('hex') });
    socket.destroy();
    server.close();
    fs.writeFileSync(OUTPUT, JSON.stringify({ capturedFrom: (await ovs.vsctl('--version')).split('\n')[0], frames }, null, 2) + '\n');
    process.stdout.write(`wrote ${frames.length} frames to ${OUTPUT}\n`);
  } finally {
    await ovs.stop();
  }
}

void main();
