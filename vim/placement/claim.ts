/**
 * A claim: what one placed VNFC holds on its host. It is stored in the same atomic commit that marks the
 * resources on the host document, and released the same way, so the two never disagree.
 */
import type { Entity } from '../../platform/index.js';
import type { InterfaceKind } from '../../descriptors/index.js';

export interface Claim extends Entity {
  /** The operation (LCM operation occurrence or grant) that holds the claim and releases it. */
  owner: string;
  /** What the caller calls the VNFC, e.g. `vnf-1/VDU1/0`. */
  label: string | undefined;
  hostId: string;
  zoneId: string;
  regionId: string;
  createdAt: string;
  /** One entry per guest NUMA node; empty for a guest without a NUMA topology. */
  cells: ClaimedCell[];
  /** The extra CPU for emulator threads, when they are isolated. */
  emulatorCpus: number[];
  /** vCPUs floating over the host's shared CPUs (shared CPU policy). */
  sharedVcpus: number;
  /** Memory of a guest without a NUMA topology. */
  floatingMemoryMiB: number;
  devices: ClaimedDevice[];
  /** Affinity and anti-affinity groups this claim is a member of. */
  groups: string[];
}

export interface ClaimedCell {
  guestCell: number;
  hostCell: number;
  /** The guest's vCPU ids on this node. */
  vcpus: number[];
  /** vCPU -> host CPU, for dedicated CPUs; empty for shared ones. */
  pinning: Array<{ vcpu: number; cpu: number }>;
  /** Sibling threads kept idle for this guest (isolate and require thread policies). */
  reservedCpus: number[];
  memoryMiB: number;
  /** 4 for small pages. */
  pageSizeKiB: number;
}

export type DeviceKind = Extract<InterfaceKind, 'sriov-vf' | 'pci-passthrough'>;

export interface ClaimedDevice {
  cpId: string;
  kind: DeviceKind;
  pfAddress: string;
  netdev: string;
  /** The virtual function, for `sriov-vf`; a passthrough takes the whole physical function. */
  vf: { index: number; address: string } | undefined;
  numaNode: number | undefined;
  physicalNetwork: string | undefined;
}

/** Every host CPU the claim marks: pinned vCPUs, idle siblings and emulator CPUs. */
export function claimedCpus(claim: Claim): number[] {
  return [...claim.cells.flatMap((cell) => [...cell.pinning.map((pin) => pin.cpu), ...cell.reservedCpus]), ...claim.emulatorCpus];
}
