/**
 * Jest's global setup (configured in jest.config.js): before the suite, remove the network namespaces and
 * OVS daemons that an interrupted earlier run left behind. Jest loads this file outside its module mapper,
 * so it imports nothing relative; the harness imports its names and daemon handling from here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every namespace the harness makes is named `nfvt-<pid>-...` and every private OVS instance keeps its files
 * in a temp dir `nfvt-ovs-<pid>-...`, with the pid of the process that made it: a sweep removes only what
 * belongs to processes that are gone, never the live instances of a concurrent run.
 */
export const NAMESPACE_PREFIX = `nfvt-${process.pid}-`;
export const OVS_DIR_PREFIX = `nfvt-ovs-${process.pid}-`;

function ownerIsGone(name: string, pattern: RegExp): boolean {
  const owner = Number(pattern.exec(name)?.[1]);
  return Number.isInteger(owner) && owner > 0 && !isAlive(owner);
}

export default async function sweepLeftovers(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const entry of fs.readdirSync(os.tmpdir())) {
    if (!ownerIsGone(entry, /^nfvt-ovs-(\d+)-/)) continue;
    const dir = path.join(os.tmpdir(), entry);
    for (const daemon of ['ovs-vswitchd', 'ovsdb-server']) await stopDaemon(dir, daemon);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => ownerIsGone(name, /^nfvt-(\d+)-/));
  for (const name of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', name]);
    } catch {
      // already gone
    }
  }
}

/** Stops the daemon whose pidfile is `<dir>/<daemon>.pid`: SIGTERM, then SIGKILL after 5 s. */
export async function stopDaemon(dir: string, daemon: string): Promise<void> {
  const pidFile = path.join(dir, `${daemon}.pid`);
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 5000 && isAlive(pid); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Running, and not a zombie waiting for a parent that may never reap it. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}
