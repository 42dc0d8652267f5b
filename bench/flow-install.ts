/**
 * Flow programming rate: N flows of typical SFC shapes (5-tuple matches with masks, goto_table, group and
 * set-field actions) into a fresh bridge through our controller (one atomic bundle), against the same flows
 * given to `ovs-ofctl --bundle add-flows` from a file into another fresh bridge of the same switch. Both
 * finish with the switch's commit reply, and both flow counts are checked by dump. Needs root.
 *
 *   npm run bench:flow-install                 (NFV_BENCH_FLOWS sets N, default 100000)
 *
 * Prints: flow-install: ours=<flows/s> ovs-ofctl=<flows/s> ratio=<ours/ovs-ofctl>
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Outgoing } from '../sfc/index.js';
import { run } from '../test/support/command.js';
import { connectBridge, startController } from '../test/support/openflow.js';
import { OvsInstance } from '../test/support/ovs.js';

type FlowModMessage = Extract<Outgoing, { type: 'flow_mod' }>;

const GROUPS = 16;

function ipv4(base: number): string {
  return [base >>> 24, (base >>> 16) & 0xff, (base >>> 8) & 0xff, base & 0xff].join('.');
}

/** The i-th flow: unique by its source address, shaped like the classifier and hop flows of a chain. */
function flowAt(index: number): FlowModMessage {
  const source = ipv4(0xc6120000 + (index % 0x20000));
  const destination = `${ipv4(0xc6130000 + ((index * 256) % 0x10000))}/24`;
  const protocol = index % 2 === 0 ? 6 : 17;
  const portField = protocol === 6 ? 'tcp_dst' : 'udp_dst';
  const shape = index % 3;
  const instructions: FlowModMessage['instructions'] =
    shape === 0
      ? [{ type: 'apply_actions', actions: [{ type: 'set_field', field: 'eth_dst', value: '02:00:00:00:00:01' }, { type: 'output', port: 1 + (index % 4) }] }]
      : shape === 1
        ? [{ type: 'write_metadata', metadata: BigInt(index % 256), mask: 0xffn }, { type: 'goto_table', tableId: 1 }]
        : [{ type: 'apply_actions', actions: [{ type: 'group', groupId: 1 + (index % GROUPS) }] }];
  return {
    type: 'flow_mod',
    command: 'add',
    tableId: 0,
    priority: 1000 + (index % 100),
    cookie: BigInt(0x5fc00000000 + index),
    match: {
      in_port: 1 + (index % 4),
      eth_type: 0x0800,
      ip_proto: protocol,
      ipv4_src: source,
      ipv4_dst: destination,
      [portField]: { value: (index * 16) & 0xfff0, mask: 0xfff0 },
    },
    instructions,
  };
}

/** The same flow in ovs-ofctl's syntax. */
function ofctlLine(flow: FlowModMessage): string {
  const match = flow.match;
  const port = (match.tcp_dst ?? match.udp_dst) as { value: number; mask: number };
  const fields = [
    `table=${flow.tableId}`,
    `priority=${flow.priority}`,
    `cookie=0x${(flow.cookie ?? 0n).toString(16)}`,
    match.ip_proto === 6 ? 'tcp' : 'udp',
    `in_port=${match.in_port as number}`,
    `nw_src=${match.ipv4_src as string}`,
    `nw_dst=${match.ipv4_dst as string}`,
    `tp_dst=0x${port.value.toString(16)}/0x${port.mask.toString(16)}`,
  ];
  const actions = flow.instructions
    .map((instruction) => {
      switch (instruction.type) {
        case 'apply_actions':
          return instruction.actions
            .map((action) => {
              if (action.type === 'set_field') return `set_field:${action.value as string}->eth_dst`;
              if (action.type === 'output') return `output:${action.port as number}`;
              if (action.type === 'group') return `group:${action.groupId as number}`;
              throw new Error(`no ovs-ofctl form for ${action.type}`);
            })
            .join(',');
        case 'write_metadata':
          return `write_metadata:0x${instruction.metadata.toString(16)}/0x${instruction.mask.toString(16)}`;
        case 'goto_table':
          return `goto_table:${instruction.tableId}`;
        default:
          throw new Error(`no ovs-ofctl form for ${instruction.type}`);
      }
    })
    .join(',');
  return `${fields.join(',')},actions=${actions}`;
}

async function flowCount(ovs: OvsInstance, bridge: string): Promise<number> {
  const aggregate = await ovs.ofctl('dump-aggregate', bridge);
  return Number(/flow_count=(\d+)/.exec(aggregate)?.[1] ?? -1);
}

async function prepareBridge(ovs: OvsInstance, bridge: string): Promise<void> {
  await ovs.addBridge(bridge, { failMode: 'secure', protocols: 'OpenFlow13' });
  for (let port = 1; port <= 4; port += 1) {
    await ovs.vsctl('add-port', bridge, `${bridge}-p${port}`, '--', 'set', 'Interface', `${bridge}-p${port}`, 'type=internal', `ofport_request=${port}`);
  }
}

async function main(): Promise<void> {
  const count = Number(process.env.NFV_BENCH_FLOWS ?? 100000);
  const flows = Array.from({ length: count }, (_, index) => flowAt(index));
  const ovs = await OvsInstance.start('bench');
  const { controller, target } = await startController(ovs, { requestTimeoutMs: 600000 });
  try {
    await prepareBridge(ovs, 'br-ours');
    await prepareBridge(ovs, 'br-ofctl');
    const sw = await connectBridge(ovs, 'br-ours', controller, target);
    // Groups are not part of the measurement; both bridges get them the same way.
    for (const bridge of ['br-ours', 'br-ofctl']) {
      for (let group = 1; group <= GROUPS; group += 1) {
        await ovs.ofctl('add-group', bridge, `group_id=${group},type=select,bucket=actions=output:1,bucket=actions=output:2`);
      }
    }

    const oursStarted = process.hrtime.bigint();
    await sw.bundle(flows);
    const oursSeconds = Number(process.hrtime.bigint() - oursStarted) / 1e9;

    const file = path.join(ovs.dir, 'flows.txt');
    fs.writeFileSync(file, flows.map(ofctlLine).join('\n') + '\n');
    const ofctlStarted = process.hrtime.bigint();
    await run('ovs-ofctl', ['-O', 'OpenFlow13', '--bundle', 'add-flows', 'br-ofctl', file], { env: ovs.env, timeoutMs: 600000 });
    const ofctlSeconds = Number(process.hrtime.bigint() - ofctlStarted) / 1e9;

    const [oursInstalled, ofctlInstalled] = [await flowCount(ovs, 'br-ours'), await flowCount(ovs, 'br-ofctl')];
    if (oursInstalled !== count || ofctlInstalled !== count) {
      throw new Error(`expected ${count} flows on each bridge, found ours=${oursInstalled} ovs-ofctl=${ofctlInstalled}`);
    }
    const ours = count / oursSeconds;
    const reference = count / ofctlSeconds;
    console.log(`flow-install: ours=${Math.round(ours)} ovs-ofctl=${Math.round(reference)} ratio=${(ours / reference).toFixed(2)} (n=${count})`);
  } catch (error) {
    const log = path.join(ovs.dir, 'ovs-vswitchd.log');
    if (fs.existsSync(log)) console.error(fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n'));
    throw error;
  } finally {
    await controller.close();
    await ovs.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
