/**
 * Our OVSDB client (RFC 7047): sessions over `tcp:` and `unix:` remotes, a cache of monitored tables, typed
 * transactions, and the Open_vSwitch tables with the bridge and port changes the orchestrator makes.
 */
export {
  Monitor,
  OvsdbClient,
  type ClientState,
  type ConnectedEvent,
  type MonitorMethod,
  type OvsdbClientEvents,
  type OvsdbClientOptions,
  type WatchedTable,
} from './client.js';
export type { CacheUpdate, CacheUpdateCause, OvsdbCache, TableChange } from './cache.js';
export { atom, column, NamedUuid, type AtomicType, type AtomKind, type Column, type ColumnShape, type RowReference, type Uuid } from './datum.js';
export {
  describeDisconnect,
  describeFramingFault,
  InterfaceAttachError,
  OvsdbConflictError,
  OvsdbConnectionLostError,
  OvsdbNotConnectedError,
  OvsdbProtocolError,
  OvsdbRemoteError,
  OvsdbRpcError,
  OvsdbSchemaMismatchError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
  OvsdbUsageError,
  RowNotFoundError,
  type DisconnectReason,
} from './errors.js';
export { DEFAULT_MAX_MESSAGE_BYTES, JsonObjectFramer, type FramedChunk, type FramingFault } from './framer.js';
export type { Json, JsonObject } from './jsonrpc.js';
export { Bridge, Controller, Interface, OPENFLOW_VERSIONS, OpenVswitch, Port, VLAN_MODES, VSWITCH_TABLES, type OpenFlowVersion } from './open-vswitch.js';
export { OVSDB_PORT, parseRemote, type OvsdbRemote } from './remote.js';
export type { BaseTypeSchema, ColumnSchema, DatabaseSchema, TableSchema } from './schema.js';
export {
  table,
  TableModel,
  type AnyTableModel,
  type Columns,
  type Condition,
  type ConditionFunction,
  type Mutation,
  type Mutator,
  type Row,
  type RowOf,
  type RowWrite,
  type TableSelection,
} from './table.js';
export { Transaction, TransactionOutcome, type OperationName, type OperationResult, type WaitOptions } from './transaction.js';
export {
  Vswitch,
  type AddedPort,
  type BridgeSpec,
  type ControllerSpec,
  type InterfaceSettings,
  type InterfaceSpec,
  type InterfaceType,
  type PortSettings,
  type StringMap,
} from './vswitch.js';
