import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostView } from '../../../vim/index.js';
import { FIXTURES_DIR } from '../../fixtures/sysfs/generate.js';
import { startProduct, TEST_TOKEN, type RunningProduct } from '../../support/application.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const AGENT_MAIN = path.join(ROOT, 'vim/agent/main.ts');
const HOST_NAME = 'agent-host';

function startAgent(product: RunningProduct, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', AGENT_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NFV_AGENT_VIM_URL: product.url,
      NFV_AGENT_TOKEN: TEST_TOKEN,
      NFV_AGENT_HOST_NAME: HOST_NAME,
      NFV_AGENT_SYSFS_ROOT: path.join(FIXTURES_DIR, 'dual-socket'),
      NFV_AGENT_OVSDB: 'tcp:127.0.0.1:6640',
      NFV_AGENT_HEARTBEAT_INTERVAL: '0.2',
      NFV_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function stopped(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the host agent as its own process', () => {
  let product: RunningProduct;
  const agents: ChildProcess[] = [];

  beforeEach(async () => {
    product = await startProduct({ NFV_VIM_HEARTBEAT_TIMEOUT: '1' });
  });
  afterEach(async () => {
    for (const child of agents.splice(0)) {
      child.kill('SIGKILL');
      await stopped(child);
    }
    await product.stop();
  });

  const agentHost = async (): Promise<HostView | undefined> =>
    ((await (await product.request('/vim/v1/hosts')).json()) as HostView[]).find((host) => host.name === HOST_NAME);
  const hostWith = (what: string, test: (host: HostView) => boolean): Promise<HostView> =>
    until(what, async () => {
      const host = await agentHost();
      return host && test(host) ? host : undefined;
    });
  const dryRunHost = async (): Promise<unknown> => {
    const response = await product.request('/vim/v1/placements:dry-run', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ epa: { vcpus: 2, memoryMiB: 1024, cpuPolicy: 'dedicated', interfaces: [] } }),
    });
    return response.json();
  };

  it('registers with its discovered inventory, goes down when killed, comes back up when restarted, and applies VF settings', async () => {
    const first = startAgent(product);
    agents.push(first.child);
    const registered = await hostWith('the agent to register', (host) => host.health === 'up');
    expect(registered).toMatchObject({ discovered: true, libvirtUri: 'qemu:///system', ovsdb: 'tcp:127.0.0.1:6640', adminState: 'enabled' });
    expect(registered.cells).toHaveLength(2);
    expect(registered.physicalFunctions.map((pf) => pf.netdev).sort()).toEqual(['ens1f0', 'ens4f0']);
    expect(await dryRunHost()).toMatchObject({ placeable: true, host: { id: registered.id } });

    // Heartbeats keep it up well past the timeout.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await agentHost())?.health).toBe('up');

    first.child.kill('SIGKILL');
    await stopped(first.child);
    await hostWith('the silent host to go down', (host) => host.health === 'down');
    expect(await dryRunHost()).toMatchObject({ placeable: false, refusal: { kind: 'no-host', reasons: [{ constraint: 'down', hosts: 1 }] } });

    const second = startAgent(product);
    agents.push(second.child);
    const back = await hostWith('the restarted agent to bring the host up', (host) => host.health === 'up');
    expect(back.id).toBe(registered.id);
    expect(((await (await product.request('/vim/v1/hosts')).json()) as HostView[]).filter((host) => host.name === HOST_NAME)).toHaveLength(1);
    expect(await dryRunHost()).toMatchObject({ placeable: true, host: { id: registered.id } });

    // No SR-IOV NIC here: the agent runs the real command and the VIM records the kernel's answer.
    const queued = await product.request(`/vim/v1/hosts/${registered.id}/vf-settings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ pf: 'ens1f0', vf: 1, mac: '02:00:00:00:00:0a', vlan: 200, spoofchk: true }),
    });
    expect(queued.status).toBe(202);
    expect(await queued.json()).toMatchObject({ pf: 'ens1f0', vf: 1, state: 'pending' });
    const reported = await hostWith('the agent to report the VF setting', (host) => host.vfSettings.some((setting) => setting.state !== 'pending'));
    expect(reported.vfSettings).toEqual([
      { id: expect.any(String), pf: 'ens1f0', vf: 1, mac: '02:00:00:00:00:0a', vlan: 200, spoofchk: true, state: 'failed', message: 'Cannot find device "ens1f0"' },
    ]);
    expect(second.output()).toContain('ip link set dev ens1f0 vf 1 mac 02:00:00:00:00:0a vlan 200 spoofchk on');
  });

  it('refuses VF settings for a PF or VF the host does not have', async () => {
    const agent = startAgent(product);
    agents.push(agent.child);
    const host = await hostWith('the agent to register', (candidate) => candidate.health === 'up');
    for (const [body, pointer] of [[{ pf: 'eth9', vf: 0, vlan: 1 }, '/pf'], [{ pf: 'ens1f0', vf: 4096, vlan: 1 }, '/vf'], [{ pf: 'ens1f0', vf: 0 }, '']] as const) {
      const response = await product.request(`/vim/v1/hosts/${host.id}/vf-settings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(((await response.json()) as { violations: Array<{ pointer: string }> }).violations.map((violation) => violation.pointer)).toContain(pointer);
    }
  });

  it('stops with the variable to fix when its configuration is wrong', async () => {
    const agent = startAgent(product, { NFV_AGENT_TOKEN: '' });
    agents.push(agent.child);
    expect(await stopped(agent.child)).toBe(1);
    expect(agent.output()).toContain('nfv-agent: cannot start: NFV_AGENT_TOKEN:');
  });

  it('remembers agent-managed hosts and their queued VF settings across a VIM restart', async () => {
    const dataDir = makeTempDir('vim-restart');
    let vim = await startProduct({ NFV_VIM_HEARTBEAT_TIMEOUT: '1', NFV_DATA_DIR: dataDir });
    try {
      const agent = startAgent(vim);
      agents.push(agent.child);
      const listed = async (): Promise<HostView | undefined> =>
        ((await (await vim.request('/vim/v1/hosts')).json()) as HostView[]).find((host) => host.name === HOST_NAME);
      const registered = await until('the agent to register', async () => ((await listed())?.health === 'up' ? listed() : undefined));
      agent.child.kill('SIGKILL');
      await stopped(agent.child);
      const queued = await vim.request(`/vim/v1/hosts/${registered!.id}/vf-settings`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ pf: 'ens1f0', vf: 1, vlan: 100 }),
      });
      expect(queued.status).toBe(202);
      await vim.stop();
      vim = await startProduct({ NFV_VIM_HEARTBEAT_TIMEOUT: '1', NFV_DATA_DIR: dataDir });
      const afterRestart = await listed();
      expect(afterRestart?.vfSettings).toEqual([expect.objectContaining({ pf: 'ens1f0', vf: 1, vlan: 100, state: 'pending' })]);
      // Its agent never calls the restarted VIM: one timeout later the host is down.
      const down = await until('the silent host to be marked down', async () => ((await listed())?.health === 'down' ? true : undefined), 10000);
      expect(down).toBe(true);
    } finally {
      await vim.stop();
      removeTempDir(dataDir);
    }
  });
});
