import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../support/command.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../platform/main.ts');

interface ProductProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** The orchestrator as its own process, the way `npm start` runs it (from the TypeScript sources). */
function startProcess(env: NodeJS.ProcessEnv): ProductProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, NODE_OPTIONS: '', NFV_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Starting from the TypeScript sources compiles them first: on a loaded two-core machine that can take a while. */
const START_TIMEOUT_MS = 60_000;

/** The URL the process says it serves on, once it has started; what it printed if it does not in time. */
async function started(product: ProductProcess, what: string): Promise<string> {
  try {
    return await waitFor(what, () => startedUrl(product), START_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nstdout: ${product.stdout().slice(-2000)}\nstderr: ${product.stderr().slice(-2000)}`);
  }
}

function startedUrl(product: ProductProcess): string | undefined {
  return /"url":"(http:\/\/[^"]+)"/.exec(product.stdout())?.[1];
}

describe('the orchestrator process', () => {
  let dataDir: string;
  const running: ProductProcess[] = [];

  beforeEach(() => {
    dataDir = makeTempDir('process');
  });
  afterEach(async () => {
    for (const product of running.splice(0)) {
      if (product.child.exitCode === null) product.child.kill('SIGKILL');
      await product.exit;
    }
    removeTempDir(dataDir);
  });

  it('serves the APIs, and on SIGTERM closes switch connections, the server and the store, exiting 0', async () => {
    const [httpPort, openflowPort] = [await freePort(), await freePort()];
    const product = startProcess({
      NFV_DATA_DIR: dataDir,
      NFV_HTTP_PORT: String(httpPort),
      NFV_OPENFLOW_LISTEN: `127.0.0.1:${openflowPort}`,
      NFV_API_TOKENS: 'process-test-token',
    });
    running.push(product);
    const url = await started(product, 'the server to start');
    expect(url).toBe(`http://127.0.0.1:${httpPort}`);

    expect((await fetch(`${url}/vnfpkgm/api_versions`)).status).toBe(401);
    const versions = await fetch(`${url}/vnfpkgm/api_versions`, { headers: { 'X-Auth-Token': 'process-test-token' } });
    expect(versions.status).toBe(200);
    expect(await fetch(`${url}/metrics`).then((response) => response.text())).toMatch(
      /http_requests_total\{method="GET",route="\/vnfpkgm\/api_versions",status_code="401"\} 1/,
    );

    // A switch connects: it gets our OpenFlow 1.3 HELLO, and the connection is closed on shutdown.
    const switchSide = net.connect(openflowPort, '127.0.0.1');
    const hello = await new Promise<Buffer>((resolve) => switchSide.once('data', resolve));
    expect(hello[0]).toBe(0x04);
    expect(hello[1]).toBe(0);
    const switchClosed = new Promise<void>((resolve) => switchSide.once('close', () => resolve()));

    product.child.kill('SIGTERM');
    expect(await product.exit).toBe(0);
    await switchClosed;
    expect(product.stdout()).toContain('"msg":"stopped"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // The store file was closed cleanly: no WAL left to replay.
    expect(fs.existsSync(path.join(dataDir, 'nfv.sqlite'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'nfv.sqlite-wal'))).toBe(false);
  }, 3 * START_TIMEOUT_MS);

  it('generates a token when none is configured, prints it once, and keeps it across restarts', async () => {
    const env = { NFV_DATA_DIR: dataDir, NFV_HTTP_PORT: String(await freePort()), NFV_OPENFLOW_LISTEN: `127.0.0.1:${await freePort()}`, NFV_API_TOKENS: '' };
    const first = startProcess(env);
    running.push(first);
    const url = await started(first, 'the server to start');
    const token = /API token \(admin tenant\), also stored in \S+: (\S+)/.exec(first.stdout())?.[1] as string;
    expect(token).toBeDefined();
    expect((fs.statSync(path.join(dataDir, 'api-token')).mode & 0o777).toString(8)).toBe('600');
    expect((await fetch(`${url}/nslcm/api_versions`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    const second = startProcess(env);
    running.push(second);
    const secondUrl = await started(second, 'the server to restart');
    expect(second.stdout()).not.toContain(token);
    expect((await fetch(`${secondUrl}/nslcm/api_versions`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  }, 3 * START_TIMEOUT_MS);

  it('fails fast with a clear message when the HTTP port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as net.AddressInfo).port;
    try {
      const product = startProcess({ NFV_DATA_DIR: dataDir, NFV_HTTP_PORT: String(takenPort), NFV_OPENFLOW_LISTEN: `127.0.0.1:${await freePort()}` });
      running.push(product);
      expect(await product.exit).toBe(1);
      expect(product.stderr()).toContain(`cannot start: NFV_HTTP_HOST/NFV_HTTP_PORT: 127.0.0.1:${takenPort} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('fails fast with a clear message when the OpenFlow port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as net.AddressInfo).port;
    try {
      const product = startProcess({ NFV_DATA_DIR: dataDir, NFV_HTTP_PORT: String(await freePort()), NFV_OPENFLOW_LISTEN: `127.0.0.1:${takenPort}` });
      running.push(product);
      expect(await product.exit).toBe(1);
      expect(product.stderr()).toContain(`cannot start: the sfc module failed to start: NFV_OPENFLOW_LISTEN: tcp:127.0.0.1:${takenPort} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('fails fast with a clear message when the data dir is not writable', async () => {
    const notADirectory = path.join(dataDir, 'a-file');
    fs.writeFileSync(notADirectory, 'x');
    const product = startProcess({ NFV_DATA_DIR: path.join(notADirectory, 'data'), NFV_HTTP_PORT: String(await freePort()) });
    running.push(product);
    expect(await product.exit).toBe(1);
    expect(product.stderr()).toContain(`cannot start: NFV_DATA_DIR=${path.join(notADirectory, 'data')} is not a writable directory`);
  });

  it('refuses a bad configuration value naming the variable', async () => {
    const product = startProcess({ NFV_DATA_DIR: dataDir, NFV_HTTP_PORT: 'eighty' });
    running.push(product);
    expect(await product.exit).toBe(1);
    expect(product.stderr()).toContain('cannot start: NFV_HTTP_PORT: "eighty" is not a whole number');
  });
});
