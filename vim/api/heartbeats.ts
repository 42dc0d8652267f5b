/**
 * Host agents' heartbeats, and the VF settings waiting for them.
 *
 * The agent calls in; the VIM never calls out. A heartbeat marks its host up, and its answer carries the VF
 * settings the host has not confirmed yet, so the agent needs no listening port and a setting survives an
 * agent restart (it is sent again until a result comes back; `ip link set ... vf N` is idempotent). A host
 * whose agent has been heard from and then stays silent for the timeout is marked down, which takes it out
 * of placement until the next heartbeat. Which hosts have an agent, and their queued VF settings, are kept
 * in the store: after a VIM restart every such host gets one timeout from the restart to call in.
 */
import { randomUUID } from 'node:crypto';
import type { Entity, Logger, Repository, Store } from '../../platform/index.js';
import { HOST_AGENTS } from '../inventory/collections.js';
import { INFRASTRUCTURE_TENANT } from '../inventory/model.js';
import type { Inventory } from '../inventory/inventory.js';
import type { VfResult, VfSetting } from './schemas.js';

export type VfSettingState = 'pending' | 'applied' | 'failed';

export interface PendingVfSetting extends VfSetting {
  id: string;
  state: VfSettingState;
  /** What the agent reported, for a failed setting the command's error. */
  message?: string;
}

interface HostAgent extends Entity {
  vfSettings: PendingVfSetting[];
}

/** Results kept per host, for the operator to read on the host. */
const RESULTS_KEPT = 32;

export class HostHeartbeats {
  private readonly lastSeen = new Map<string, number>();
  private readonly markedDown = new Set<string>();
  private readonly vfSettings = new Map<string, PendingVfSetting[]>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly agents: Repository<HostAgent>;

  constructor(
    store: Store,
    private readonly inventory: Inventory,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.agents = store.collection<HostAgent>(HOST_AGENTS);
  }

  /** Takes up the hosts whose agents called in before a restart, counting their silence from now. */
  async load(): Promise<void> {
    for (const { value } of await this.agents.query()) {
      this.lastSeen.set(value.id, this.now());
      this.vfSettings.set(value.id, value.vfSettings);
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.markSilentHostsDown(), Math.max(50, Math.floor(this.timeoutMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Records a heartbeat and its VF results; answers the settings still to apply. */
  async beat(hostId: string, results: readonly VfResult[]): Promise<PendingVfSetting[]> {
    const firstCall = !this.lastSeen.has(hostId);
    this.lastSeen.set(hostId, this.now());
    this.markedDown.delete(hostId);
    const host = await this.inventory.host(hostId);
    if (host?.value.health === 'down') {
      await this.inventory.setHealth(hostId, 'up');
      this.logger.info({ hostId }, 'host agent heard from again: host up');
    }
    const settings = this.vfSettings.get(hostId) ?? [];
    let changed = false;
    for (const result of results) {
      const setting = settings.find((candidate) => candidate.id === result.id);
      if (!setting || setting.state !== 'pending') continue;
      setting.state = result.applied ? 'applied' : 'failed';
      if (result.message !== undefined) setting.message = result.message;
      changed = true;
    }
    const done = settings.filter((setting) => setting.state !== 'pending');
    const pending = settings.filter((setting) => setting.state === 'pending');
    this.vfSettings.set(hostId, [...done.slice(-RESULTS_KEPT), ...pending]);
    if (firstCall || changed) await this.save(hostId);
    return pending.map((setting) => ({ ...setting }));
  }

  async requestVfSetting(hostId: string, setting: VfSetting): Promise<PendingVfSetting> {
    const pending: PendingVfSetting = { id: randomUUID(), ...setting, state: 'pending' };
    this.vfSettings.set(hostId, [...(this.vfSettings.get(hostId) ?? []), pending]);
    await this.save(hostId);
    return { ...pending };
  }

  vfSettingsOf(hostId: string): PendingVfSetting[] {
    return (this.vfSettings.get(hostId) ?? []).map((setting) => ({ ...setting }));
  }

  async forget(hostId: string): Promise<void> {
    this.lastSeen.delete(hostId);
    this.markedDown.delete(hostId);
    this.vfSettings.delete(hostId);
    await this.agents.delete(hostId);
  }

  /** This process is the only writer of these documents, so the write needs no revision check. */
  private async save(hostId: string): Promise<void> {
    const doc: HostAgent = { id: hostId, tenantId: INFRASTRUCTURE_TENANT, vfSettings: this.vfSettings.get(hostId) ?? [] };
    const stored = await this.agents.get(hostId);
    if (stored) await this.agents.update(doc, stored.revision);
    else await this.agents.insert(doc);
  }

  private async markSilentHostsDown(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const deadline = this.now() - this.timeoutMs;
      for (const [hostId, seen] of this.lastSeen) {
        if (seen > deadline || this.markedDown.has(hostId)) continue;
        try {
          await this.inventory.setHealth(hostId, 'down');
          this.markedDown.add(hostId);
          this.logger.warn({ hostId, silentForMs: this.now() - seen }, 'no heartbeat from the host agent: host down');
        } catch (error) {
          this.logger.warn({ hostId, err: error }, 'could not mark a silent host down');
        }
      }
    } finally {
      this.checking = false;
    }
  }
}
