import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandError, run } from '../../support/command.js';
import { startSfcServer, TENANT_A, type SfcServer } from './server.js';

/**
 * The real `openstack sfc ...` commands (python-neutronclient's OSC plugin) against our server: keystoneauth's
 * `admin_token` plugin sends the token as X-Auth-Token to the given endpoint, with no Keystone involved.
 */
const CLI = ['/usr/bin/openstack', '/usr/local/bin/openstack'].find((file) => fs.existsSync(file));

let server: SfcServer;
let url: string;
beforeAll(async () => {
  server = await startSfcServer();
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
});

async function openstack(...args: string[]): Promise<Record<string, any>> {
  const { stdout } = await run(CLI ?? 'openstack', ['--os-auth-type', 'admin_token', '--os-token', TENANT_A, '--os-endpoint', url, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
    timeoutMs: 60000,
  });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, any>);
}

describe('openstack sfc CLI', () => {
  it('creates, shows, updates and deletes a chain with the OpenStack client', async () => {
    if (CLI === undefined) {
      console.warn('skipped: the openstack client is not installed (python3-openstackclient, python3-neutronclient)');
      return;
    }
    const [source, ingress, egress] = [await server.port('cli-src'), await server.port('cli-vm'), await server.port('cli-vm')];
    const fc = await openstack('sfc', 'flow', 'classifier', 'create', '--protocol', 'tcp', '--destination-port', '80:8080', '--logical-source-port', source, '--source-ip-prefix', '10.0.0.0/8', 'web', '-f', 'json');
    expect(fc).toMatchObject({ Name: 'web', Protocol: 'tcp', 'Destination Port Range Min': 80, 'Destination Port Range Max': 8080, 'Source IP': '10.0.0.0/8' });
    const pp = await openstack('sfc', 'port', 'pair', 'create', '--ingress', ingress, '--egress', egress, '--service-function-parameters', 'weight=2', 'fw', '-f', 'json');
    expect(pp).toMatchObject({ Name: 'fw', 'Ingress Logical Port': ingress, 'Egress Logical Port': egress });
    const ppg = await openstack('sfc', 'port', 'pair', 'group', 'create', '--port-pair', 'fw', '--port-pair-group-parameters', 'lb-fields=ip_src&ip_dst', 'fws', '-f', 'json');
    expect(ppg).toMatchObject({ Name: 'fws', 'Port Pair': [pp.ID] });
    const pc = await openstack('sfc', 'port', 'chain', 'create', '--port-pair-group', 'fws', '--flow-classifier', 'web', 'chain1', '-f', 'json');
    expect(pc).toMatchObject({ Name: 'chain1', 'Port Pair Groups': [ppg.ID], 'Flow Classifiers': [fc.ID] });
    expect(pc['Chain Parameters']).toMatchObject({ correlation: 'mpls', symmetric: false });

    await openstack('sfc', 'port', 'chain', 'set', '--name', 'renamed', 'chain1');
    expect(await openstack('sfc', 'port', 'chain', 'show', 'renamed', '-f', 'json')).toMatchObject({ ID: pc.ID, Name: 'renamed', 'Chain ID': expect.any(Number) });

    const inUse = await openstack('sfc', 'flow', 'classifier', 'delete', 'web').then(
      () => undefined,
      (error: CommandError) => error,
    );
    expect(inUse?.stderr).toContain(`Flow Classifier ${fc.ID} in use by Port Chain ${pc.ID}`);

    await openstack('sfc', 'port', 'chain', 'delete', 'renamed');
    await openstack('sfc', 'port', 'pair', 'group', 'delete', 'fws');
    await openstack('sfc', 'port', 'pair', 'delete', 'fw');
    await openstack('sfc', 'flow', 'classifier', 'delete', 'web');
    expect(await openstack('sfc', 'port', 'chain', 'list', '-f', 'json')).toEqual([]);
  }, 180000);
});
