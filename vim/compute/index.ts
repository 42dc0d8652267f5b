/**
 * Compute: VNFCs created, started, stopped and removed on a host, as libvirt domains pinned and backed as
 * the placement claim says, or as network namespaces in the dataplane lab.
 */
export {
  ComputeError,
  type ComputeDriver,
  type ComputeProblem,
  type DomainRef,
  type ListedVnfc,
  type StopOptions,
  type StopOutcome,
  type VnfcDisk,
  type VnfcPort,
  type VnfcSpec,
  type VnfcState,
} from './driver.js';
export { cpusetOf, domainXmlOf, tapNameOf, type DomainXmlOutcome, type VirtType } from './domain-xml.js';
export { LibvirtDriver, type LibvirtDriverOptions } from './libvirt-driver.js';
export { LabDriver, type LabDriverOptions } from './lab-driver.js';
export { ComputeHosts, type ComputeHostRef } from './hosts.js';
export { addVhostUserPort, vhostUserPortName, vhostUserSocketPath, type VhostUserPort } from './vhost-user.js';
