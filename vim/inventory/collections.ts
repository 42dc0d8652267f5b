import type { CollectionSpec } from '../../platform/index.js';

export const REGIONS: CollectionSpec = { name: 'vim_regions', indexes: [] };
export const ZONES: CollectionSpec = { name: 'vim_zones', indexes: ['regionId'] };
export const HOSTS: CollectionSpec = { name: 'vim_hosts', indexes: ['zoneId', 'regionId'] };
export const CLAIMS: CollectionSpec = { name: 'vim_claims', indexes: ['owner', 'hostId'] };
export const PLACEMENT_GROUPS: CollectionSpec = { name: 'vim_placement_groups', indexes: [] };
/** Hosts whose agent has called in, with the VF settings queued for them: survives a VIM restart. */
export const HOST_AGENTS: CollectionSpec = { name: 'vim_host_agents', indexes: [] };
