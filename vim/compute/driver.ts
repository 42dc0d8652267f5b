/**
 * The compute driver: what the VIM asks of a host to run one VNFC. A driver creates the VNFC from its spec
 * (what the VDU describes plus what placement claimed), drives its lifecycle and reads its state back from
 * the host, never from its own memory, so that a VNFC that vanished behind our back is seen as `missing`.
 */
import type { Claim } from '../placement/claim.js';
import type { VduEpa } from '../../descriptors/index.js';

/** How the host knows a VNFC: libvirt's domain name and UUID, or the lab's namespace. */
export interface DomainRef {
  name: string;
  uuid: string;
}

/**
 * `shutdown`: a graceful shutdown is under way; `crashed`: the guest died by itself; `missing`: the host
 * does not know it (never defined, undefined, or removed by someone else).
 */
export type VnfcState = 'running' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'suspended' | 'missing';

export interface StopOptions {
  /** Ask the guest to shut down first (ACPI); otherwise power it off at once. Default true. */
  graceful?: boolean;
  /** How long a graceful shutdown may take before the VNFC is powered off. Default 60 s. */
  timeoutMs?: number;
}

/** How a stop ended: the guest shut down by itself, or it was powered off. */
export type StopOutcome = 'shut-down' | 'powered-off' | 'already-off';

export interface ListedVnfc extends DomainRef {
  state: VnfcState;
}

export interface ComputeDriver {
  /** Creates the VNFC on the host without starting it; defining the same name again replaces the definition. */
  define(spec: VnfcSpec): Promise<DomainRef>;
  start(ref: DomainRef): Promise<void>;
  stop(ref: DomainRef, options?: StopOptions): Promise<StopOutcome>;
  /** A stop as `stop` does it, then a start. */
  reboot(ref: DomainRef, options?: StopOptions): Promise<void>;
  /** Powers the VNFC off at once; its definition stays. */
  destroy(ref: DomainRef): Promise<void>;
  /** Removes the definition; a running VNFC is powered off first. Undefining a missing VNFC is not an error. */
  undefine(ref: DomainRef): Promise<void>;
  state(ref: DomainRef): Promise<VnfcState>;
  list(): Promise<ListedVnfc[]>;
  close(): Promise<void>;
}

/** One VNFC to create: what the VDU describes, where its disk is, its ports, and what placement claimed. */
export interface VnfcSpec {
  name: string;
  uuid: string;
  epa: VduEpa;
  claim: Claim;
  disks: VnfcDisk[];
  ports: VnfcPort[];
}

export interface VnfcDisk {
  /** The image file on the host (a copy of the package's software image, or a volume made from it). */
  path: string;
  format: 'qcow2' | 'raw';
  /** The guest's device name, e.g. `vda`. */
  target: string;
}

interface PortCommon {
  /** The VIM port's id (a UUID): OVS knows the port by it as `external_ids:iface-id`. */
  portId: string;
  /** The VDU connection point the port realizes; SR-IOV ports find their claimed VF by it. */
  cpId: string;
  mac: string;
  /** Addresses in CIDR form that the lab driver configures; a guest image configures its own. */
  addresses?: readonly string[];
}

export type VnfcPort =
  | (PortCommon & { kind: 'virtio'; bridge: string })
  | (PortCommon & { kind: 'vhost-user'; socketPath: string })
  | (PortCommon & {
      kind: 'sriov-vf' | 'pci-passthrough';
      vlan: number | undefined;
      /**
       * The bridge the VF's representor is a port of, when the NIC runs in switchdev mode (OVS hardware
       * offload): then the VF's traffic crosses the integration bridge's flows, and a service chain can steer it.
       */
      representorBridge?: string;
    });

const MAC_ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function isMacAddress(value: string): boolean {
  return MAC_ADDRESS.test(value);
}

export type ComputeProblem =
  | { kind: 'invalid-spec'; problems: string[] }
  | { kind: 'missing'; name: string }
  | { kind: 'unsupported'; what: string }
  | { kind: 'host'; operation: string; name: string | undefined; message: string; code: number | undefined };

export class ComputeError extends Error {
  constructor(readonly problem: ComputeProblem) {
    super(describe(problem));
    this.name = 'ComputeError';
  }
}

function describe(problem: ComputeProblem): string {
  switch (problem.kind) {
    case 'invalid-spec':
      return `the VNFC cannot be built: ${problem.problems.join('; ')}`;
    case 'missing':
      return `${problem.name} is not known to the host`;
    case 'unsupported':
      return `this driver cannot ${problem.what}`;
    case 'host':
      return `${problem.operation}${problem.name === undefined ? '' : ` of ${problem.name}`} failed on the host: ${problem.message}`;
  }
}
