/**
 * VIM: host inventory (Region > Zone > Host with NUMA cells, hugepages, SR-IOV), EPA placement with atomic
 * reservations, compute through libvirt, and networks/ports on Open vSwitch.
 */
export {};
