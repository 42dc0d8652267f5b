import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LibvirtDriver } from '../../vim/index.js';

/** The exit code of a child process (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Everything a worker printed, once it has exited 0; its standard error in the failure otherwise. */
export async function outputOf(child: ChildProcess): Promise<string> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await exited(child);
  if (code !== 0) throw new Error(`worker exited ${code}: ${errors}`);
  return output.trim();
}

/**
 * Runs the product in a child process (`node --import tsx <args>`) on the data dir and switch of a test, with
 * the settings the lifecycle lab uses, until it kills itself (SIGKILL) where the crash test told it to; any
 * other end is an error carrying its standard error.
 */
export async function runProductUntilKilled(options: { args: readonly string[]; switchDir: string; dataDir: string; env?: NodeJS.ProcessEnv; cwd?: string; what: string }): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...options.args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NFV_DATA_DIR: options.dataDir,
      NFV_OPENFLOW_LISTEN: `unix:${path.join(options.switchDir, `child-${randomBytes(3).toString('hex')}.sock`)}`,
      NFV_OVS_DATAPATH_TYPE: 'netdev',
      NFV_SFC_AUDIT_INTERVAL: '0.5',
      NFV_SFC_HOST_REFRESH_INTERVAL: '0.5',
      NFV_LOG_LEVEL: 'silent',
      ...options.env,
    },
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await exited(child);
  if (child.signalCode !== 'SIGKILL') throw new Error(`the product exited ${code} instead of being killed ${options.what}: ${errors}`);
}

/**
 * libvirt's test driver keeps its domains per process: the VNFC domains this process defined and a killed
 * child removed are still listed here. Crash tests forget them once they have checked the store, the VIM and
 * the switch, so that no later case or test file run by this worker sees them.
 */
export async function forgetTestDriverDomains(): Promise<void> {
  const driver = await LibvirtDriver.open({ uri: 'test:///default' });
  try {
    for (const domain of await driver.list()) {
      if (!domain.name.startsWith('vnf-')) continue;
      await driver.destroy(domain).catch(() => undefined);
      await driver.undefine(domain).catch(() => undefined);
    }
  } finally {
    await driver.close();
  }
}
