import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeMessage,
  encodeMessage,
  portRangeToMasks,
  type MessageOf,
  type OfpMessage,
  type OfpMessageType,
} from '../../../sfc/index.js';
import { run } from '../../support/command.js';
import { EXAMPLES } from './examples.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/openflow/ovs-replies.json');
const captured = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { frames: Array<{ label: string; hex: string }> }).frames;

function decodeOk(bytes: Buffer): OfpMessage {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.message;
}

function capturedMessage<T extends OfpMessageType>(label: string, type: T): MessageOf<T> {
  const frame = captured.find((candidate) => candidate.label === label);
  if (!frame) throw new Error(`no captured frame ${label}`);
  const message = decodeOk(Buffer.from(frame.hex, 'hex'));
  expect(message.type).toBe(type);
  return message as MessageOf<T>;
}

/** What `ovs-ofctl ofp-print` (Open vSwitch's own decoder) makes of our bytes. */
async function ofpPrint(bytes: Buffer): Promise<string> {
  return (await run('ovs-ofctl', ['ofp-print', bytes.toString('hex')])).stdout;
}

describe('OpenFlow codec against bytes Open vSwitch sent', () => {
  it.each(captured.map((frame) => [frame.label, frame.hex]))('decodes %s and re-encodes it byte for byte', (_label, hex) => {
    const bytes = Buffer.from(hex, 'hex');
    const message = decodeOk(bytes);
    expect(message.type).not.toBe('unknown');
    expect(encodeMessage(message).toString('hex')).toBe(hex);
  });

  it('reads the handshake: version bitmap, datapath id, tables', () => {
    expect(capturedMessage('hello', 'hello').versions).toContain(4);
    const features = capturedMessage('features_reply', 'features_reply');
    expect(features.datapathId).toBeGreaterThan(0n);
    expect(features.nTables).toBe(254);
    expect(capturedMessage('desc_reply', 'multipart_reply').body).toMatchObject({ kind: 'desc', mfrDesc: 'Nicira, Inc.', hwDesc: 'Open vSwitch' });
  });

  it('reads ports and a port-status event', () => {
    const body = capturedMessage('port_desc_reply', 'multipart_reply').body;
    if (body.kind !== 'port_desc') throw new Error(body.kind);
    expect(body.ports.map((port) => [port.portNo, port.name])).toEqual(
      expect.arrayContaining([
        [1, 'p1'],
        [2, 'p2'],
        ['local', 'br0'],
      ]),
    );
    const status = capturedMessage('port_status_add', 'port_status');
    expect(status.reason).toBe('add');
    expect(status.port).toMatchObject({ portNo: 3, name: 'p3' });
  });

  it('reads flows with masked matches, set-field, push_vlan, groups, metadata and goto_table', () => {
    const body = capturedMessage('flow_stats_reply', 'multipart_reply').body;
    if (body.kind !== 'flow') throw new Error(body.kind);
    const tcp = body.flows.find((flow) => flow.cookie === 0xabcn);
    expect(tcp).toMatchObject({
      priority: 300,
      match: {
        in_port: 1,
        eth_type: 0x0800,
        ip_proto: 6,
        ipv4_src: { value: '198.18.0.0', mask: '255.255.255.0' },
        ipv4_dst: '198.18.1.5',
        tcp_dst: { value: 0x1f90, mask: 0xfff0 },
      },
      instructions: [
        {
          type: 'apply_actions',
          actions: [
            { type: 'set_field', field: 'eth_dst', value: '02:00:00:00:00:09' },
            { type: 'push_vlan', ethertype: 0x8100 },
            { type: 'set_field', field: 'vlan_vid', value: 4196 },
            { type: 'group', groupId: 7 },
          ],
        },
      ],
    });
    const udp6 = body.flows.find((flow) => flow.priority === 100);
    expect(udp6?.match).toMatchObject({ eth_type: 0x86dd, ip_proto: 17, ipv6_src: { value: '2001:db8::', mask: 'ffff:ffff::' }, udp_src: 53 });
    expect(udp6?.instructions).toEqual([
      { type: 'write_metadata', metadata: 5n, mask: 0xffn },
      { type: 'goto_table', tableId: 2 },
    ]);
    const table2 = body.flows.filter((flow) => flow.tableId === 2);
    expect(table2.map((flow) => flow.instructions)).toEqual(
      expect.arrayContaining([
        [{ type: 'apply_actions', actions: [{ type: 'dec_nw_ttl' }, { type: 'output', port: 'controller', maxLen: 0xffff }] }],
        [{ type: 'clear_actions' }, { type: 'write_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
      ]),
    );
  });

  it('reads groups: select weights and fast-failover watch ports', () => {
    const body = capturedMessage('group_desc_reply', 'multipart_reply').body;
    if (body.kind !== 'group_desc') throw new Error(body.kind);
    expect(body.groups.find((group) => group.groupId === 7)).toMatchObject({
      groupType: 'select',
      buckets: [
        { weight: 10, actions: [{ type: 'output', port: 1 }] },
        { weight: 20, actions: [{ type: 'output', port: 2 }] },
      ],
    });
    expect(body.groups.find((group) => group.groupId === 8)).toMatchObject({
      groupType: 'fast_failover',
      buckets: [{ watchPort: 1 }, { watchPort: 2 }],
    });
  });

  it('names errors by the specification, and ONF bundle replies', () => {
    expect(capturedMessage('error_bad_out_group', 'error')).toMatchObject({ typeName: 'BAD_ACTION', codeName: 'BAD_OUT_GROUP', xid: 113 });
    expect(capturedMessage('error_bad_type', 'error')).toMatchObject({ typeName: 'BAD_REQUEST', codeName: 'BAD_TYPE' });
    expect(capturedMessage('bundle_commit_reply', 'bundle_control')).toMatchObject({ bundleId: 1, controlType: 'commit_reply' });
    expect(capturedMessage('role_reply', 'role_reply')).toMatchObject({ role: 'master', generationId: 3n });
  });
});

describe('OpenFlow codec round trips', () => {
  const covered = new Set(EXAMPLES.map((message) => message.type));
  it('has an example of every message type', () => {
    const all: OfpMessageType[] = [
      'hello', 'error', 'echo_request', 'echo_reply', 'experimenter', 'features_request', 'features_reply', 'get_config_request',
      'get_config_reply', 'set_config', 'packet_in', 'flow_removed', 'port_status', 'packet_out', 'flow_mod', 'group_mod', 'port_mod',
      'table_mod', 'multipart_request', 'multipart_reply', 'barrier_request', 'barrier_reply', 'role_request', 'role_reply',
      'bundle_control', 'bundle_add', 'unknown',
    ];
    expect([...covered].sort()).toEqual([...all].sort());
  });

  it.each(EXAMPLES.map((message) => [`${message.type} #${message.xid}`, message] as const))('%s', (_name, message) => {
    const bytes = encodeMessage(message);
    expect(bytes.readUInt16BE(2)).toBe(bytes.length);
    const decoded = decodeOk(bytes);
    expect(decoded).toEqual(message);
    expect(encodeMessage(decoded).equals(bytes)).toBe(true);
  });

  it('is read the same way by Open vSwitch’s own decoder (ovs-ofctl ofp-print)', async () => {
    const flowMod = await ofpPrint(
      encodeMessage({
        type: 'flow_mod',
        xid: 7,
        command: 'add',
        priority: 200,
        cookie: 0x1234n,
        match: { in_port: 1, eth_type: 0x0800, ip_proto: 6, ipv4_src: '198.18.0.0/24', tcp_dst: { value: 0x50, mask: 0xfff0 } },
        instructions: [
          { type: 'apply_actions', actions: [{ type: 'set_field', field: 'eth_dst', value: '02:00:00:00:00:01' }, { type: 'output', port: 2 }] },
          { type: 'goto_table', tableId: 3 },
        ],
      }),
    );
    expect(flowMod).toContain(
      'ADD priority=200,tcp,in_port=1,nw_src=198.18.0.0/24,tp_dst=0x50/0xfff0 cookie:0x1234 actions=set_field:02:00:00:00:00:01->eth_dst,output:2,goto_table:3',
    );
    const group = await ofpPrint(
      encodeMessage({
        type: 'group_mod',
        xid: 8,
        command: 'add',
        groupType: 'fast_failover',
        groupId: 5,
        buckets: [
          { watchPort: 1, actions: [{ type: 'output', port: 1 }] },
          { watchPort: 2, actions: [{ type: 'output', port: 2 }] },
        ],
      }),
    );
    expect(group).toContain('ADD group_id=5,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,actions=output:2');
    const bundled = await ofpPrint(
      encodeMessage({ type: 'bundle_add', xid: 9, bundleId: 1, flags: 3, message: { type: 'flow_mod', command: 'add', match: { in_port: 5 }, instructions: [] } }),
    );
    expect(bundled).toContain('ONFT_BUNDLE_ADD_MESSAGE');
    expect(bundled).toContain('bundle_id=0x1 flags=atomic ordered');
    expect(bundled).toContain('ADD in_port=5 actions=drop');
    expect(await ofpPrint(encodeMessage({ type: 'multipart_request', xid: 10, flags: 0, body: { kind: 'port_stats', portNo: 'any' } }))).toContain(
      'OFPST_PORT request (OF1.3) (xid=0xa): port_no=ANY',
    );
    expect(await ofpPrint(encodeMessage(EXAMPLES.find((message) => message.type === 'packet_out') as OfpMessage))).toContain('in_port=CONTROLLER actions=TABLE data_len=42');
  });

  it('refuses values it cannot encode, naming the field', () => {
    const flowMod = (match: object): OfpMessage => ({ type: 'flow_mod', xid: 1, command: 'add', match, instructions: [] }) as OfpMessage;
    expect(() => encodeMessage(flowMod({ ipv4_src: '198.18.0.300' }))).toThrow(/ipv4_src: .* not an IPv4 address/);
    expect(() => encodeMessage(flowMod({ eth_type: 0x10000 }))).toThrow(/eth_type: 65536 is not an integer/);
    expect(() => encodeMessage(flowMod({ ip_proto: { value: 6, mask: 0xff } }))).toThrow(/ip_proto: cannot be masked/);
    expect(() => encodeMessage(flowMod({ ipv4_dst: '198.18.0.0/33' }))).toThrow(/prefix length/);
  });
});

describe('malformed input is a value, never an exception', () => {
  const valid = encodeMessage(EXAMPLES.find((message) => message.type === 'flow_mod') as OfpMessage);

  it.each([
    ['too short for a header', Buffer.from('0400', 'hex')],
    ['length field disagrees', Buffer.concat([valid, Buffer.alloc(8)])],
    ['truncated body', (() => {
      const cut = Buffer.from(valid.subarray(0, 60));
      cut.writeUInt16BE(60, 2);
      return cut;
    })()],
    ['action length not a multiple of 8', (() => {
      const bad = Buffer.from(valid);
      const matchLength = bad.readUInt16BE(50);
      const firstInstruction = 48 + Math.ceil(matchLength / 8) * 8;
      const firstAction = firstInstruction + 8;
      bad.writeUInt16BE(5, firstAction + 2);
      return bad;
    })()],
    ['match type not OXM', (() => {
      const bad = Buffer.from(valid);
      bad.writeUInt16BE(0, 48);
      return bad;
    })()],
    ['unknown flow_mod command', (() => {
      const bad = Buffer.from(valid);
      bad.writeUInt8(9, 25);
      return bad;
    })()],
  ])('%s', (_name, bytes) => {
    const decoded = decodeMessage(bytes);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toEqual(expect.any(String));
  });

  it('keeps unknown message types, actions and OXM fields as bytes', () => {
    const unknownAction = decodeOk(
      encodeMessage({ type: 'packet_out', xid: 1, bufferId: 0, inPort: 1, actions: [{ type: 'unknown', code: 77, data: Buffer.from('01020304', 'hex') }], data: Buffer.alloc(0) }),
    );
    expect(unknownAction).toMatchObject({ actions: [{ type: 'unknown', code: 77, data: Buffer.from('01020304', 'hex') }] });
    const withUnknownField = decodeOk(
      encodeMessage({
        type: 'flow_mod',
        xid: 2,
        command: 'add',
        match: { unknownFields: [{ oxmClass: 0xffff, field: 3, hasMask: false, payload: Buffer.from('cafe', 'hex') }] },
        instructions: [],
      }),
    );
    expect(withUnknownField).toMatchObject({ match: { unknownFields: [{ oxmClass: 0xffff, field: 3, payload: Buffer.from('cafe', 'hex') }] } });
  });
});

describe('port ranges as masked matches', () => {
  it.each([
    [80, 80, [{ value: 80, mask: 0xffff }]],
    [1000, 1999, null],
    [0, 65535, []],
    [1024, 65535, [{ value: 1024, mask: 0xfc00 }, { value: 2048, mask: 0xf800 }, { value: 4096, mask: 0xf000 }, { value: 8192, mask: 0xe000 }, { value: 16384, mask: 0xc000 }, { value: 32768, mask: 0x8000 }]],
    [800, 900, null],
  ])('%i-%i covers exactly the range with the fewest pairs', (min, max, expected) => {
    const masks = portRangeToMasks(min, max);
    if (expected) expect(masks).toEqual(expected);
    const covered = new Set<number>();
    for (const { value, mask } of masks) {
      for (let port = 0; port <= 0xffff; port += 1) if ((port & mask) === value) covered.add(port);
    }
    if (min === 0 && max === 0xffff) return;
    expect(covered.size).toBe(max - min + 1);
    expect(Math.min(...covered)).toBe(min);
    expect(Math.max(...covered)).toBe(max);
    // A prefix decomposition needs at most 2 * 16 - 2 entries.
    expect(masks.length).toBeLessThanOrEqual(30);
  });

  it('refuses inverted or out-of-range ranges', () => {
    expect(() => portRangeToMasks(10, 5)).toThrow(RangeError);
    expect(() => portRangeToMasks(0, 70000)).toThrow(RangeError);
  });
});
