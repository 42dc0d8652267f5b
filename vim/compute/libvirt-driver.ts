/**
 * The compute driver on libvirt, through `@unraid/libvirt`: `qemu:///system` (or `qemu+ssh://`) on a real
 * host, `test:///...` in tests. Every state is read back from libvirt, looked up by the domain's UUID.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainState, Hypervisor, LibvirtError, type Domain } from '@unraid/libvirt';
import { domainXmlOf, type VirtType } from './domain-xml.js';
import {
  ComputeError,
  type ComputeDriver,
  type DomainRef,
  type ListedVnfc,
  type StopOptions,
  type StopOutcome,
  type VnfcSpec,
  type VnfcState,
} from './driver.js';

/** libvirt's VIR_ERR_NO_DOMAIN. */
const NO_DOMAIN = 42;
/** The binding loses libvirt's error codes (it reports -1); the message of VIR_ERR_NO_DOMAIN stays. */
const NO_DOMAIN_MESSAGE = /^Domain not found\b/;
const DEFAULT_STOP_TIMEOUT_MS = 60000;
const POLL_INTERVAL_MS = 100;

const STATES: Readonly<Record<DomainState, VnfcState>> = {
  [DomainState.NOSTATE]: 'shutoff',
  [DomainState.RUNNING]: 'running',
  [DomainState.BLOCKED]: 'running',
  [DomainState.PAUSED]: 'paused',
  [DomainState.SHUTDOWN]: 'shutdown',
  [DomainState.SHUTOFF]: 'shutoff',
  [DomainState.CRASHED]: 'crashed',
  [DomainState.PMSUSPENDED]: 'suspended',
};

export interface LibvirtDriverOptions {
  uri: string;
  /** Defaults to `test` for a `test:` URI and to `kvm` otherwise. */
  virtType?: VirtType;
}

export class LibvirtDriver implements ComputeDriver {
  private constructor(
    private readonly hypervisor: Hypervisor,
    private readonly virtType: VirtType,
  ) {}

  static async open(options: LibvirtDriverOptions): Promise<LibvirtDriver> {
    const hypervisor = new Hypervisor({ uri: options.uri });
    await hostCall('connect', undefined, () => hypervisor.connectOpen());
    return LibvirtDriver.over(hypervisor, options.virtType ?? (options.uri.startsWith('test:') ? 'test' : 'kvm'));
  }

  /** A driver on a connection opened elsewhere; `close` closes that connection. */
  static over(hypervisor: Hypervisor, virtType: VirtType): LibvirtDriver {
    return new LibvirtDriver(hypervisor, virtType);
  }

  async define(spec: VnfcSpec): Promise<DomainRef> {
    const outcome = domainXmlOf(spec, this.virtType);
    if (!outcome.ok) throw new ComputeError({ kind: 'invalid-spec', problems: outcome.problems });
    const domain = await hostCall('define', spec.name, () => this.hypervisor.domainDefineXML(outcome.xml));
    return { name: await domain.getName(), uuid: await domain.getUUIDString() };
  }

  async start(ref: DomainRef): Promise<void> {
    const domain = await this.required(ref);
    if ((await this.stateOf(domain)) === 'running') return;
    await hostCall('start', ref.name, () => domain.create());
  }

  async stop(ref: DomainRef, options: StopOptions = {}): Promise<StopOutcome> {
    const domain = await this.required(ref);
    if (isOff(await this.stateOf(domain))) return 'already-off';
    if (options.graceful ?? true) {
      await hostCall('shutdown', ref.name, () => domain.shutdown());
      const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      for (;;) {
        if (isOff(await this.stateOf(domain))) return 'shut-down';
        if (Date.now() >= deadline) break;
        await sleep(POLL_INTERVAL_MS);
      }
    }
    await this.powerOff(domain, ref);
    return 'powered-off';
  }

  async reboot(ref: DomainRef, options: StopOptions = {}): Promise<void> {
    await this.stop(ref, options);
    await this.start(ref);
  }

  async destroy(ref: DomainRef): Promise<void> {
    const domain = await this.required(ref);
    if (!isOff(await this.stateOf(domain))) await this.powerOff(domain, ref);
  }

  async undefine(ref: DomainRef): Promise<void> {
    const domain = await this.lookup(ref);
    if (domain === undefined) return;
    if (!isOff(await this.stateOf(domain))) await this.powerOff(domain, ref);
    await hostCall('undefine', ref.name, () => domain.undefine()).catch((error: unknown) => {
      if (!isNoDomain(error)) throw error;
    });
  }

  async state(ref: DomainRef): Promise<VnfcState> {
    const domain = await this.lookup(ref);
    return domain === undefined ? 'missing' : this.stateOf(domain);
  }

  async list(): Promise<ListedVnfc[]> {
    const domains = await hostCall('list', undefined, () => this.hypervisor.connectListAllDomains());
    return Promise.all(
      domains.map(async (domain) => ({ name: await domain.getName(), uuid: await domain.getUUIDString(), state: await this.stateOf(domain) })),
    );
  }

  /** The domain XML as libvirt keeps it (its own normalized form of what we defined). */
  async domainXml(ref: DomainRef): Promise<string> {
    const domain = await this.required(ref);
    return hostCall('read XML', ref.name, () => domain.getXMLDesc());
  }

  close(): Promise<void> {
    return hostCall('close', undefined, () => this.hypervisor.connectClose());
  }

  private async powerOff(domain: Domain, ref: DomainRef): Promise<void> {
    await hostCall('destroy', ref.name, () => domain.destroy()).catch(async (error: unknown) => {
      // The guest may have finished shutting down between our look and the destroy.
      if (!isOff(await this.stateOf(domain))) throw error;
    });
  }

  private async stateOf(domain: Domain): Promise<VnfcState> {
    try {
      return STATES[(await domain.getInfo()).state] ?? 'shutoff';
    } catch (error) {
      if (isNoDomain(error)) return 'missing';
      throw hostError('read state', undefined, error);
    }
  }

  private async lookup(ref: DomainRef): Promise<Domain | undefined> {
    try {
      return await this.hypervisor.domainLookupByUUIDString(ref.uuid);
    } catch (error) {
      if (isNoDomain(error)) return undefined;
      throw hostError('look up', ref.name, error);
    }
  }

  private async required(ref: DomainRef): Promise<Domain> {
    const domain = await this.lookup(ref);
    if (domain === undefined) throw new ComputeError({ kind: 'missing', name: ref.name });
    return domain;
  }
}

function isOff(state: VnfcState): boolean {
  return state === 'shutoff' || state === 'crashed' || state === 'missing';
}

function isNoDomain(error: unknown): boolean {
  return error instanceof LibvirtError ? libvirtSaysNoDomain(error) : error instanceof ComputeError && error.problem.kind === 'missing';
}

function libvirtSaysNoDomain(error: LibvirtError): boolean {
  return error.code === NO_DOMAIN || NO_DOMAIN_MESSAGE.test(error.message);
}

async function hostCall<T>(operation: string, name: string | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw hostError(operation, name, error);
  }
}

function hostError(operation: string, name: string | undefined, error: unknown): ComputeError {
  if (error instanceof ComputeError) return error;
  if (error instanceof LibvirtError && libvirtSaysNoDomain(error) && name !== undefined) return new ComputeError({ kind: 'missing', name });
  const code = error instanceof LibvirtError && error.code >= 0 ? error.code : undefined;
  return new ComputeError({ kind: 'host', operation, name, message: error instanceof Error ? error.message : String(error), code });
}
