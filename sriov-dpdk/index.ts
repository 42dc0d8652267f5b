/** Host EPA discovery from sysfs (NUMA, CPUs, hugepages, SR-IOV PFs and VFs), VF configuration, OVS-DPDK helpers. */
export {};
