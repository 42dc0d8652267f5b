/**
 * The hosts' switches: each registered host's integration bridge made and kept (secure fail mode, OpenFlow
 * 1.3, our controller, a datapath id derived from the host id), and VIM ports bound to the host where OVS
 * shows them plugged (`external_ids:iface-id`).
 */
export { DATAPATH_ID_MARKER, datapathIdHex, datapathIdOf } from './datapath.js';
export { HostSwitches, type HostSwitchesEvents, type HostSwitchesOptions, type HostSwitchView } from './host-switches.js';
export type { BindingChange, OvsdbTuning } from './host-switch.js';
export type { BridgeDrift } from './bridge.js';
