/** Host EPA discovery from sysfs (NUMA, CPUs, hugepages, SR-IOV PFs and VFs), VF configuration, OVS-DPDK helpers. */
export { discoverHost, type DiscoveryIssue, type DiscoveryOptions, type DiscoveryOutcome } from './discovery.js';
export { parseCpuList } from './sysfs.js';
