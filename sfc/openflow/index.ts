/**
 * Our OpenFlow 1.3 codec and controller (no maintained npm package speaks OpenFlow). The codec is
 * table-driven: OXM fields, actions, instructions and messages are declared once and walked by generic code.
 */
export { decodeActions, encodeActions, encodeInstructions, NO_BUFFER, type Action, type Instruction } from './actions.js';
export {
  BatchError,
  ConnectionClosedError,
  OpenFlowError,
  RequestTimeoutError,
  SwitchConnection,
  type ConnectionState,
  type ErrorMessage,
} from './connection.js';
export { OpenFlowController, type ControllerEvents, type ControllerOptions } from './controller.js';
export { errorNames, errorNumbers } from './errors.js';
export { OpenFlowFramer } from './framer.js';
export { RESERVED_GROUPS, RESERVED_PORTS, type GroupNumber, type PortNumber, type ReservedPort } from './layout.js';
export {
  ALL_TABLES,
  BUNDLE_FLAGS,
  decodeMessage,
  encodeBuckets,
  encodeMessage,
  encodeMessageInto,
  FLOW_MOD_FLAGS,
  MULTIPART_MORE,
  NO_BUFFER_ID,
  OFP_VERSION,
  PORT_CONFIG,
  PORT_STATE,
  type Bucket,
  type DecodeResult,
  type FlowMod,
  type FlowStats,
  type GroupDesc,
  type GroupMod,
  type GroupType,
  type GroupStats,
  type MessageOf,
  type MultipartReplyBody,
  type MultipartRequestBody,
  type OfpMessage,
  type OfpMessageType,
  type Outgoing,
  type PortDesc,
  type PortStats,
  type SwitchDesc,
  type TableStats,
} from './messages.js';
export { canonicalMatch, OFPVID_PRESENT, OXM_FIELDS, OxmValueError, type Match, type MatchValue, type OxmName, type OxmValue } from './oxm.js';
export { portRangeToMasks } from './port-range.js';
export { multipath, MULTIPATH_FIELDS, NICIRA_VENDOR, type MultipathFields } from './nicira.js';
