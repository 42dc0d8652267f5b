import path from 'node:path';
import { createLogger } from '../../platform/index.js';
import { OpenFlowController, type ControllerOptions, type SwitchConnection } from '../../sfc/index.js';
import type { OvsInstance } from './ovs.js';

/** Our controller listening on a unix socket inside the OVS instance's dir (reachable from its namespace). */
export async function startController(ovs: OvsInstance, options: Partial<ControllerOptions> = {}): Promise<{ controller: OpenFlowController; target: string }> {
  const controller = new OpenFlowController({ logger: createLogger(process.env.NFV_LOG_LEVEL === 'debug' ? 'debug' : 'silent'), ...options });
  const socketPath = path.join(ovs.dir, `controller-${process.pid}-${Math.random().toString(16).slice(2, 8)}.sock`);
  await controller.listen({ path: socketPath });
  return { controller, target: `unix:${socketPath}` };
}

/** Points a bridge at the controller and waits for its session (handshake done). */
export async function connectBridge(ovs: OvsInstance, bridge: string, controller: OpenFlowController, target: string): Promise<SwitchConnection> {
  await ovs.vsctl('set-controller', bridge, target);
  const datapathId = BigInt(`0x${(await ovs.vsctl('get', 'Bridge', bridge, 'datapath_id')).trim().replace(/"/g, '')}`);
  return controller.waitForSwitch(datapathId, 15000);
}
