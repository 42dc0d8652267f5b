/** A VNFC spec and the claim behind it, as placement would hand them to a compute driver. */
import { randomUUID } from 'node:crypto';
import type { VduEpa } from '../../../descriptors/index.js';
import type { Claim, ClaimedCell, ClaimedDevice } from '../../../vim/index.js';
import type { VnfcPort, VnfcSpec } from '../../../vim/compute/index.js';

export function claimOf(parts: { cells?: ClaimedCell[]; emulatorCpus?: number[]; devices?: ClaimedDevice[]; hostId?: string }): Claim {
  return {
    id: randomUUID(),
    tenantId: 'admin',
    owner: 'op-1',
    label: 'vnf-1/VDU1/0',
    hostId: parts.hostId ?? 'compute-1',
    zoneId: 'default',
    regionId: 'default',
    createdAt: new Date(0).toISOString(),
    cells: parts.cells ?? [],
    emulatorCpus: parts.emulatorCpus ?? [],
    sharedVcpus: 0,
    floatingMemoryMiB: 0,
    devices: parts.devices ?? [],
    groups: [],
  };
}

export function epaOf(vcpus: number, memoryMiB: number, ports: readonly VnfcPort[] = []): VduEpa {
  return {
    vcpus,
    memoryMiB,
    cpuPolicy: 'dedicated',
    threadPolicy: undefined,
    emulatorThreadPolicy: 'isolate',
    numa: undefined,
    pageSize: '1GB',
    interfaces: ports.map((port, order) => ({ cpId: port.cpId, order, kind: port.kind, physicalNetwork: undefined, numaAffinity: undefined })),
  };
}

export function vfOf(cpId: string, address: string, numaNode: number): ClaimedDevice {
  return { cpId, kind: 'sriov-vf', pfAddress: '0000:3b:00.0', netdev: 'ens1f0', vf: { index: 0, address }, numaNode, physicalNetwork: 'physnet1' };
}

export function specOf(name: string, parts: Omit<VnfcSpec, 'name' | 'uuid' | 'epa'> & { epa?: VduEpa; vcpus?: number; memoryMiB?: number }): VnfcSpec {
  const { vcpus = 1, memoryMiB = 512, epa, ...rest } = parts;
  return { name, uuid: randomUUID(), epa: epa ?? epaOf(vcpus, memoryMiB, parts.ports), ...rest };
}
