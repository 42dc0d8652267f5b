/**
 * VIM: host inventory (Region > Zone > Host with NUMA cells, hugepages, SR-IOV), EPA placement with atomic
 * reservations, compute through libvirt, and networks/ports on Open vSwitch.
 */
export {
  DEFAULT_INTEGRATION_BRIDGE,
  DEFAULT_REGION_ID,
  DEFAULT_ZONE_ID,
  INFRASTRUCTURE_TENANT,
  KIB_PER_MIB,
  SMALL_PAGE_KIB,
  cellSmallPageFreeMiB,
  emptyUsage,
  pageSizeLabel,
  poolFreePages,
  type AdminState,
  type CellMemory,
  type Cpu,
  type CpuRole,
  type Host,
  type HostHealth,
  type HostInventory,
  type HostUsage,
  type HugepagePool,
  type NumaCell,
  type Region,
  type SriovPf,
  type SriovVf,
  type Zone,
} from './inventory/model.js';
export { CLAIMS, HOSTS, PLACEMENT_GROUPS, REGIONS, ZONES } from './inventory/collections.js';
export { Inventory, InventoryError, type HostChange, type HostRegistration, type InventoryProblem } from './inventory/inventory.js';
export { mergeInventory, type MergeOutcome } from './inventory/merge.js';
export { claimedCpus, type Claim, type ClaimedCell, type ClaimedDevice, type DeviceKind } from './placement/claim.js';
export { capacityOf, type CellCapacity, type HostCapacity, type HostStatus, type PfCapacity } from './placement/capacity.js';
export { fitGuest, MAX_LAYOUTS_SCORED, MAX_SEARCH_STEPS, type Fit, type FitOutcome, type Lack } from './placement/fitter.js';
export type { PlacementGroup } from './placement/groups.js';
export type { HostRuledOut, PlacementRefusal, RefusalKind, RefusalReason } from './placement/refusal.js';
export {
  placementGroupsOf,
  shapeOf,
  type DeviceRequest,
  type GroupPolicy,
  type GroupScope,
  type GroupsOutcome,
  type GuestCell,
  type GuestCpu,
  type GuestShape,
  type PlacementGroupRef,
  type PlacementRequest,
  type ShapeOutcome,
  type ThreadPolicy,
} from './placement/request.js';
export {
  ClaimReleaseError,
  Scheduler,
  type PlacedHost,
  type Placement,
  type PlacementOutcome,
  type PlacementRationale,
  type SchedulerCounters,
  type SchedulerOptions,
} from './placement/scheduler.js';
export { DEFAULT_WEIGHTS, WEIGHER_NAMES, type WeigherName, type WeigherWeights } from './placement/weighers.js';
export { createVimModule, type VimModule, type VimServices } from './module.js';
export { VIM_API_PREFIX } from './api/routes.js';
export type { HostView, CellUsage, PfUsage } from './api/views.js';
export type { PendingVfSetting, VfSettingState } from './api/heartbeats.js';
export type { DryRunAnswer } from './api/dry-run.js';
export type { HostRegistrationRequest, Heartbeat, VfResult, VfSetting } from './api/schemas.js';
export { vfCommand, applyVfSetting, type VfCommandOutcome } from './agent/ip-link.js';
export * from './compute/index.js';
