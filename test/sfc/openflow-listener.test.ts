import path from 'node:path';
import { createLogger } from '../../platform/index.js';
import { OpenFlowListener, type SwitchConnectionInfo } from '../../sfc/index.js';
import { waitFor } from '../support/command.js';
import { OvsInstance } from '../support/ovs.js';

describe('OpenFlow listener with a real Open vSwitch', () => {
  let ovs: OvsInstance;
  let listener: OpenFlowListener;
  const ready: SwitchConnectionInfo[] = [];

  beforeAll(async () => {
    ovs = await OvsInstance.start('of');
    await ovs.addBridge('br-int', { failMode: 'secure', protocols: 'OpenFlow13' });
    listener = new OpenFlowListener({ logger: createLogger('silent'), onSwitchReady: (info) => ready.push(info) });
  });
  afterAll(async () => {
    await listener?.close();
    await ovs?.stop();
  });

  it('completes the handshake with OVS over a unix socket across namespaces and learns the datapath id', async () => {
    const socketPath = path.join(ovs.dir, 'controller.sock');
    await listener.listen({ path: socketPath });
    await ovs.vsctl('set-controller', 'br-int', `unix:${socketPath}`);
    const info = await waitFor('the switch to complete the handshake', () => ready[0], 15000);
    const datapathId = (await ovs.vsctl('get', 'Bridge', 'br-int', 'datapath_id')).trim().replace(/"/g, '');
    expect(info.datapathId?.toString(16).padStart(16, '0')).toBe(datapathId);
    const connected = await waitFor('OVS to report the controller connected', async () =>
      (await ovs.vsctl('get', 'Controller', 'br-int', 'is_connected')).trim() === 'true' ? true : undefined,
    );
    expect(connected).toBe(true);
  });

  it('keeps the connection alive: OVS echo requests are answered', async () => {
    await ovs.vsctl('set', 'Controller', 'br-int', 'inactivity_probe=1000');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect((await ovs.vsctl('get', 'Controller', 'br-int', 'is_connected')).trim()).toBe('true');
    expect(listener.connectionCount).toBe(1);
    expect(ready).toHaveLength(1);
  });
});
