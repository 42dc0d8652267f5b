import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { run } from './command.js';
import type { NetworkNamespace } from './netns.js';
import { makeTempDir, removeTempDir } from './tmp.js';

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'traffic-agent.mjs');

type AgentMessage = { event: string; [key: string]: unknown };

/**
 * One `traffic-agent.mjs` process inside a namespace. `ip netns exec` execs the command in place, so the
 * child's pid is node's own. Closing stdin tells the agent to exit; a kill by pid is the bounded fallback.
 */
class Agent {
  private readonly messages: AgentMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly exited: Promise<void>;
  private stderr = '';
  private exitCode: number | null | undefined;

  private constructor(
    readonly mode: string,
    private readonly child: ChildProcess,
  ) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.messages.push(JSON.parse(line) as AgentMessage);
      } catch {
        this.messages.push({ event: 'garbage', line });
      }
      this.wake();
    });
    child.stdin!.on('error', () => undefined); // EPIPE when the agent is already gone: its exit says all
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => {
      child.on('close', (code) => {
        this.exitCode = code;
        this.wake();
        resolve();
      });
    });
  }

  static start(ns: NetworkNamespace, mode: string, options: object): Agent {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is of no use to a plain script
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, AGENT, mode, JSON.stringify(options)], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new Agent(mode, child);
  }

  /** The next message with this event (consuming it), or an error if the agent exits or the time runs out. */
  async next(event: string, timeoutMs: number): Promise<AgentMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((message) => message.event === event || message.event === 'error');
      if (index >= 0) {
        const [message] = this.messages.splice(index, 1);
        if (message!.event === 'error') throw new Error(`traffic agent ${this.mode}: ${String(message!.message)}`);
        return message!;
      }
      if (this.exitCode !== undefined) throw new Error(`traffic agent ${this.mode} exited (${this.exitCode}) before '${event}': ${this.stderr.trim()}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`traffic agent ${this.mode}: no '${event}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(() => done());
      });
    }
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  async stop(timeoutMs = 3000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Waits for the one-shot agent's exit; kills it if it overstays `timeoutMs`. */
  async finished(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}

export interface TcpConnectionSeen {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

export interface TcpServer {
  readonly ip: string;
  readonly port: number;
  /** The connections accepted so far, as the server saw their addresses. */
  connections(): Promise<TcpConnectionSeen[]>;
  close(): Promise<void>;
}

/** A long-running agent (server, sink) once it says it listens; stopped if it never does. */
async function readyAgent(ns: NetworkNamespace, kind: string, args: object): Promise<Agent> {
  const agent = Agent.start(ns, kind, args);
  try {
    await agent.next('ready', 10000);
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return agent;
}

/**
 * A TCP server in `ns` on `ip:port`. Each connection sends one line and gets back one line,
 * `echo <line> from <client ip>:<client port> to <server ip>:<server port>`, then the server closes it.
 */
export async function tcpServer(ns: NetworkNamespace, ip: string, port: number): Promise<TcpServer> {
  const agent = await readyAgent(ns, 'tcp-server', { ip, port });
  return {
    ip,
    port,
    connections: async () => {
      agent.send('report');
      return (await agent.next('report', 5000)).connections as TcpConnectionSeen[];
    },
    close: () => agent.stop(),
  };
}

export interface TcpFlowResult {
  index: number;
  sourcePort: number;
  ok: boolean;
  /** The server's answer line, e.g. `echo flow 3 from 198.18.0.1:30003 to 198.18.0.2:8080`. */
  answer: string;
  error?: string;
  elapsedMs: number;
}

export interface TcpFlowsReport {
  flows: TcpFlowResult[];
  succeeded: number;
  failed: number;
}

export interface TcpFlowsOptions {
  to: string;
  port: number;
  count: number;
  /** One per flow; by default `count` consecutive ports from a random base in 20000-59999. */
  sourcePorts?: number[];
  /** Source address to bind; by default the kernel's choice. */
  from?: string;
  /** Flows open at once (default 10). */
  concurrency?: number;
  /** Per flow, connect to answer (default 3000 ms). */
  timeoutMs?: number;
}

/**
 * Opens `count` TCP connections from `ns`, each from its own source port (explicit binds, so the 5-tuples
 * are distinct and known in advance), sends one line and reads the answer. Never throws for failed flows:
 * each flow reports `ok` or its error. Bounded: per-flow timeout, and the whole run by count / concurrency.
 */
export async function tcpFlows(ns: NetworkNamespace, options: TcpFlowsOptions): Promise<TcpFlowsReport> {
  const base = 20000 + Math.floor(Math.random() * 40000);
  const sourcePorts = options.sourcePorts ?? Array.from({ length: options.count }, (_, index) => base + index);
  if (sourcePorts.length !== options.count) throw new Error(`tcpFlows: ${sourcePorts.length} source ports for ${options.count} flows`);
  if (new Set(sourcePorts).size !== sourcePorts.length) throw new Error('tcpFlows: source ports must be distinct');
  const concurrency = Math.max(1, options.concurrency ?? 10);
  const timeoutMs = options.timeoutMs ?? 3000;
  const agent = Agent.start(ns, 'tcp-flows', { to: options.to, port: options.port, from: options.from, sourcePorts, concurrency, timeoutMs });
  const budgetMs = Math.ceil(options.count / concurrency) * timeoutMs + 10000;
  try {
    const flows = (await agent.next('result', budgetMs)).flows as TcpFlowResult[];
    const succeeded = flows.filter((flow) => flow.ok).length;
    return { flows, succeeded, failed: flows.length - succeeded };
  } finally {
    await agent.finished(3000);
  }
}

export interface UdpStreamOptions {
  to: string;
  port: number;
  /** Datagrams per second. */
  rate: number;
  durationMs: number;
  /** Payload bytes, at least the 4-byte sequence number (default 64). */
  size?: number;
  sourcePort?: number;
  from?: string;
}

export interface UdpStreamReport {
  /** Datagrams handed to the kernel, numbered 0 .. sent-1. */
  sent: number;
  /** Sends the kernel refused (e.g. no neighbour yet): never on the wire. */
  errors: number;
  elapsedMs: number;
}

/** Sends `rate * durationMs / 1000` UDP datagrams from `ns`, numbered 0, 1, ... in their first 4 bytes. */
export async function udpStream(ns: NetworkNamespace, options: UdpStreamOptions): Promise<UdpStreamReport> {
  const agent = Agent.start(ns, 'udp-send', { size: 64, ...options });
  try {
    const result = await agent.next('result', options.durationMs + 15000);
    return { sent: Number(result.sent), errors: Number(result.errors), elapsedMs: Number(result.elapsedMs) };
  } finally {
    await agent.finished(3000);
  }
}

export interface UdpSinkReport {
  /** Datagrams received, duplicates included. */
  received: number;
  /** Distinct sequence numbers received, ascending. */
  sequences: number[];
  duplicates: number;
  /** With `expected` given: the sequence numbers 0 .. expected-1 that never arrived, ascending. */
  missing: number[];
}

export interface UdpSink {
  readonly ip: string;
  readonly port: number;
  /** What arrived so far; `expected` (the sender's `sent`) makes `missing` exact. */
  report(expected?: number): Promise<UdpSinkReport>;
  close(): Promise<void>;
}

/** A UDP receiver in `ns` on `ip:port` that records the sequence numbers `udpStream` puts in its datagrams. */
export async function udpSink(ns: NetworkNamespace, ip: string, port: number): Promise<UdpSink> {
  const agent = await readyAgent(ns, 'udp-sink', { ip, port });
  return {
    ip,
    port,
    report: async (expected) => {
      agent.send('report');
      const raw = (await agent.next('report', 5000)).sequences as number[];
      const distinct = [...new Set(raw)].sort((a, b) => a - b);
      const seen = new Set(distinct);
      const missing: number[] = [];
      for (let sequence = 0; sequence < (expected ?? 0); sequence += 1) if (!seen.has(sequence)) missing.push(sequence);
      return { received: raw.length, sequences: distinct, duplicates: raw.length - distinct.length, missing };
    },
    close: () => agent.stop(),
  };
}

/** ICMP echo from `ns` to `ip`: answers how many of `count` replies came back. */
export function ping(ns: NetworkNamespace, ip: string, count = 3): Promise<number> {
  return ns.ping(ip, count);
}

export interface InterfaceCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
}

/** Kernel counters of `iface` in `ns`, from `ip -s -j link`. */
export async function interfaceCounters(ns: NetworkNamespace, iface: string): Promise<InterfaceCounters> {
  const { stdout } = await ns.exec('ip', ['-s', '-j', 'link', 'show', 'dev', iface]);
  const [link] = JSON.parse(stdout) as Array<{ stats64: { rx: Record<string, number>; tx: Record<string, number> } }>;
  if (!link) throw new Error(`no interface ${iface} in ${ns.name}`);
  const { rx, tx } = link.stats64;
  return {
    rxPackets: rx.packets ?? 0,
    txPackets: tx.packets ?? 0,
    rxBytes: rx.bytes ?? 0,
    txBytes: tx.bytes ?? 0,
    rxDropped: rx.dropped ?? 0,
    txDropped: tx.dropped ?? 0,
  };
}

export interface CapturedPacket {
  srcMac: string;
  dstMac: string;
  /** `IPv4`, `ARP`, ... as tcpdump names the ethertype. */
  ethertype: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'arp' | 'other';
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  ttl?: number;
  /** TCP flags as tcpdump prints them: `S`, `S.`, `P.`, `F.`, `R` ... */
  tcpFlags?: string;
  /** False when tcpdump found an incorrect IP, TCP or UDP checksum. */
  checksumsOk: boolean;
  /** The tcpdump record, for failure messages. */
  text: string;
}

export interface Capture {
  /** Stops tcpdump and answers every packet it captured, in order; throws if the kernel dropped any. */
  stop(): Promise<CapturedPacket[]>;
}

/**
 * `tcpdump -i <iface> -w <file> <filter>` inside `ns`, started and listening before this resolves. `stop`
 * reads the file back with `tcpdump -r -nn -e -v` (-v for TTLs and checksum verification).
 */
export async function capture(ns: NetworkNamespace, iface: string, filter = ''): Promise<Capture> {
  const dir = makeTempDir('capture');
  const file = path.join(dir, 'capture.pcap');
  // -Z root: tcpdump otherwise drops to its own user and cannot write into our root-owned temp dir.
  // --immediate-mode and -U: without them packets wait in the kernel's TPACKET_V3 ring block (up to its 1 s
  // timeout) and in tcpdump's output buffer, and a stop right after the traffic loses the last second of it.
  // -s 1600 -B 8192: ring slots are sized by the snapshot length, and the default 256 KiB one leaves a 2 MiB
  // ring about eight slots, which a burst of 50 handshakes overflows; 1600 still holds a whole frame, so -v
  // can verify checksums.
  const args = ['-i', iface, '-nn', '--immediate-mode', '-s', '1600', '-B', '8192', '-U', '-Z', 'root', '-w', file];
  const child = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', ...args, ...(filter ? [filter] : [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('close', () => ((exited = true), resolve())));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${iface} in ${ns.name} did not start: ${stderr}`)), 10000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`tcpdump on ${iface} in ${ns.name} exited: ${stderr}`));
    });
  });
  try {
    await listening;
  } catch (error) {
    if (!exited) child.kill('SIGKILL');
    removeTempDir(dir);
    throw error;
  }
  return {
    stop: async () => {
      try {
        if (!exited) {
          child.kill('SIGINT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exit;
          clearTimeout(timer);
        }
        const dropped = Number(/(\d+) packets? dropped by kernel/.exec(stderr)?.[1] ?? 0);
        if (dropped > 0) throw new Error(`tcpdump on ${iface} in ${ns.name}: ${dropped} packets dropped by the kernel, the capture is incomplete`);
        if (!fs.existsSync(file)) return [];
        const { stdout } = await run('tcpdump', ['-r', file, '-nn', '-e', '-v'], { timeoutMs: 20000 });
        return parseTcpdump(stdout);
      } finally {
        removeTempDir(dir);
      }
    },
  };
}

/** Parses `tcpdump -nn -e -v` text: a record starts at column 0 (the timestamp), continuation lines are indented. */
export function parseTcpdump(text: string): CapturedPacket[] {
  const records: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (/^\s/.test(line) && records.length > 0) records[records.length - 1] += `\n${line}`;
    else records.push(line);
  }
  return records.map(parseRecord);
}

function parseRecord(text: string): CapturedPacket {
  const head = /^\S+ ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype (\S+)/.exec(text);
  const packet: CapturedPacket = {
    srcMac: head?.[1] ?? '',
    dstMac: head?.[2] ?? '',
    ethertype: head?.[3] ?? '',
    protocol: 'other',
    checksumsOk: !/incorrect/.test(text),
    text,
  };
  if (packet.ethertype === 'ARP') packet.protocol = 'arp';
  if (packet.ethertype !== 'IPv4') return packet;
  const ttl = /\bttl (\d+)/.exec(text);
  if (ttl) packet.ttl = Number(ttl[1]);
  const proto = /\bproto (\w+) \(\d+\)/.exec(text)?.[1];
  if (proto === 'TCP' || proto === 'UDP') {
    packet.protocol = proto === 'TCP' ? 'tcp' : 'udp';
    const ends = /(\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+):/.exec(text);
    if (ends) {
      packet.srcIp = ends[1];
      packet.srcPort = Number(ends[2]);
      packet.dstIp = ends[3];
      packet.dstPort = Number(ends[4]);
    }
    const flags = /Flags \[([^\]]*)\]/.exec(text);
    if (packet.protocol === 'tcp' && flags) packet.tcpFlags = flags[1];
    return packet;
  }
  if (proto === 'ICMP') packet.protocol = 'icmp';
  const ends = /(\d+\.\d+\.\d+\.\d+) > (\d+\.\d+\.\d+\.\d+):/.exec(text);
  if (ends) {
    packet.srcIp = ends[1];
    packet.dstIp = ends[2];
  }
  return packet;
}
