import fs from 'node:fs';
import path from 'node:path';
import { freePort, run, waitFor } from './command.js';
import { isAlive } from './sweep.js';
import type { OvsInstance } from './ovs.js';

/**
 * The `ovsdb-server` of an `OvsInstance`, handled directly: killed, stopped, continued and started again on
 * the same database file and socket (as `OvsInstance.start` started it), to test how clients live through it.
 */
export class OvsdbServerProcess {
  constructor(private readonly ovs: OvsInstance) {}

  get databaseFile(): string {
    return path.join(this.ovs.dir, 'conf.db');
  }

  get pid(): number {
    return Number(fs.readFileSync(path.join(this.ovs.dir, 'ovsdb-server.pid'), 'utf8').trim());
  }

  /** SIGKILL, then waits until the process is gone (its sockets closed by the kernel). */
  async kill(): Promise<void> {
    const pid = this.pid;
    process.kill(pid, 'SIGKILL');
    await waitFor(`ovsdb-server ${pid} to exit`, () => (isAlive(pid) ? undefined : true), 5000, 10);
  }

  /** SIGSTOP: the socket stays open and accepts, but nothing answers. */
  pause(): void {
    process.kill(this.pid, 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /** Starts the server on the instance's database file and socket (also how `OvsInstance.start` starts it). */
  async start(): Promise<void> {
    const dir = this.ovs.dir;
    await run(
      'ovsdb-server',
      [
        this.databaseFile,
        `--remote=punix:${this.ovs.dbSocket}`,
        `--pidfile=${path.join(dir, 'ovsdb-server.pid')}`,
        `--log-file=${path.join(dir, 'ovsdb-server.log')}`,
        '-vconsole:off',
        '--detach',
        '--no-chdir',
      ],
      { env: this.ovs.env },
    );
  }

  /** `ovsdb-tool transact` on the database file: only while the server is down (it holds the file's lock). */
  async transactOffline(operations: readonly object[]): Promise<unknown> {
    const { stdout } = await run('ovsdb-tool', ['transact', this.databaseFile, JSON.stringify(['Open_vSwitch', ...operations])], { env: this.ovs.env });
    return JSON.parse(stdout);
  }

  /** Makes the running server also listen on `tcp:127.0.0.1:PORT`; answers the remote. */
  async addTcpRemote(): Promise<string> {
    const port = await freePort();
    const control = path.join(this.ovs.dir, `ovsdb-server.${this.pid}.ctl`);
    await run('ovs-appctl', ['-t', control, 'ovsdb-server/add-remote', `ptcp:${port}:127.0.0.1`], { env: this.ovs.env });
    return `tcp:127.0.0.1:${port}`;
  }
}
