/**
 * The host agent: discovers this host's inventory, registers it with the VIM (or finds its registration
 * after a restart and sends the fresh inventory), then sends a heartbeat every interval. The heartbeat's
 * answer lists the VF settings still to apply; the agent applies them with `ip link` and reports each
 * result with the next heartbeat. The agent listens on nothing: a failed call is simply tried again at the
 * next interval.
 */
import type { AgentConfig, Logger } from '../../platform/index.js';
import { discoverHost } from '../../sriov-dpdk/index.js';
import type { PendingVfSetting } from '../api/heartbeats.js';
import type { Heartbeat, HostRegistrationRequest, VfResult } from '../api/schemas.js';
import type { HostInventory } from '../inventory/model.js';
import { applyVfSetting } from './ip-link.js';

export type AgentFailure =
  | { kind: 'discovery'; problems: string[] }
  | { kind: 'refused'; status: number; detail: string };

export class AgentError extends Error {
  constructor(readonly failure: AgentFailure) {
    super(failure.kind === 'discovery' ? `discovery failed: ${failure.problems.join('; ')}` : `the VIM refused (${failure.status}): ${failure.detail}`);
    this.name = 'AgentError';
  }
}

interface VimAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class HostAgent {
  private hostId: string | undefined;
  /** Sent with the next heartbeat: the VIM's copy may predate this agent's start. */
  private inventoryToSend: HostInventory | undefined;
  private results: VfResult[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: AgentConfig,
    private readonly logger: Logger,
    private readonly apply: typeof applyVfSetting = applyVfSetting,
  ) {}

  /** Fails only when this host cannot be discovered; an unreachable VIM is tried again every interval. */
  async start(): Promise<void> {
    await this.discover();
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat().finally(() => this.schedule(this.config.heartbeatIntervalMs)), delayMs);
  }

  private async discover(): Promise<HostInventory> {
    const outcome = await discoverHost({ sysfsRoot: this.config.sysfsRoot });
    if (!outcome.ok) throw new AgentError({ kind: 'discovery', problems: outcome.problems.map((problem) => `${problem.where}: ${problem.message}`) });
    for (const warning of outcome.warnings) this.logger.warn({ where: warning.where }, warning.message);
    return outcome.inventory;
  }

  private async register(): Promise<void> {
    const inventory = await this.discover();
    const registration: HostRegistrationRequest = {
      name: this.config.hostName,
      libvirtUri: this.config.libvirtUri,
      ovsdb: this.config.ovsdbEndpoint,
      integrationBridge: this.config.integrationBridge,
      ...(this.config.tunnelAddress !== undefined ? { tunnelAddress: this.config.tunnelAddress } : {}),
      inventory,
      ...(this.config.zoneId !== undefined ? { zoneId: this.config.zoneId } : {}),
    };
    const answer = await this.call('POST', '/vim/v1/hosts', registration);
    if (answer.status === 201 && typeof answer.body.id === 'string') {
      this.hostId = answer.body.id;
      this.inventoryToSend = undefined;
      this.logger.info({ hostId: this.hostId }, 'host registered');
    } else if (answer.status === 409 && typeof answer.body.hostId === 'string') {
      this.hostId = answer.body.hostId;
      this.inventoryToSend = inventory;
      this.logger.info({ hostId: this.hostId }, 'host already registered: sending the fresh inventory');
    } else {
      throw new AgentError({ kind: 'refused', status: answer.status, detail: String(answer.body.detail ?? JSON.stringify(answer.body)) });
    }
  }

  private async beat(): Promise<void> {
    try {
      if (this.hostId === undefined) await this.register();
      const heartbeat: Heartbeat = {
        ...(this.inventoryToSend ? { inventory: this.inventoryToSend } : {}),
        ...(this.results.length > 0 ? { vfResults: this.results } : {}),
      };
      const answer = await this.call('POST', `/vim/v1/hosts/${encodeURIComponent(this.hostId as string)}/heartbeats`, heartbeat);
      if (answer.status === 404) {
        this.logger.warn({ hostId: this.hostId }, 'the VIM no longer knows this host: registering again');
        this.hostId = undefined;
        return;
      }
      if (answer.status !== 200) {
        this.logger.warn({ status: answer.status, detail: answer.body.detail }, 'heartbeat refused');
        return;
      }
      this.inventoryToSend = undefined;
      this.results = [];
      const settings = Array.isArray(answer.body.vfSettings) ? (answer.body.vfSettings as PendingVfSetting[]) : [];
      for (const setting of settings) {
        const outcome = await this.apply(setting);
        this.logger.info({ command: outcome.command, applied: outcome.applied }, 'VF setting');
        this.results.push(outcome.applied ? { id: setting.id, applied: true, message: outcome.command } : { id: setting.id, applied: false, message: outcome.message });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed; trying again at the next interval');
    }
  }

  private async call(method: string, path: string, body: unknown): Promise<VimAnswer> {
    const response = await fetch(this.config.vimUrl + path, {
      method,
      headers: { Authorization: `Bearer ${this.config.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(Math.max(5000, this.config.heartbeatIntervalMs)),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = { detail: text };
    }
    return { status: response.status, body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {} };
  }
}
