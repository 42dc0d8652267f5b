/**
 * OpenFlow 1.3.5 error types and codes (section 7.5.4) by their specification names, plus the ONF bundle
 * extension's codes (EXT-230) that Open vSwitch sends as experimenter errors on OpenFlow 1.3.
 */
const ERROR_TYPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['HELLO_FAILED', ['INCOMPATIBLE', 'EPERM']],
  [
    'BAD_REQUEST',
    ['BAD_VERSION', 'BAD_TYPE', 'BAD_MULTIPART', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'EPERM', 'BAD_LEN', 'BUFFER_EMPTY', 'BUFFER_UNKNOWN', 'BAD_TABLE_ID', 'IS_SLAVE', 'BAD_PORT', 'BAD_PACKET', 'MULTIPART_BUFFER_OVERFLOW'],
  ],
  [
    'BAD_ACTION',
    ['BAD_TYPE', 'BAD_LEN', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_OUT_PORT', 'BAD_ARGUMENT', 'EPERM', 'TOO_MANY', 'BAD_QUEUE', 'BAD_OUT_GROUP', 'MATCH_INCONSISTENT', 'UNSUPPORTED_ORDER', 'BAD_TAG', 'BAD_SET_TYPE', 'BAD_SET_LEN', 'BAD_SET_ARGUMENT'],
  ],
  ['BAD_INSTRUCTION', ['UNKNOWN_INST', 'UNSUP_INST', 'BAD_TABLE_ID', 'UNSUP_METADATA', 'UNSUP_METADATA_MASK', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_LEN', 'EPERM']],
  ['BAD_MATCH', ['BAD_TYPE', 'BAD_LEN', 'BAD_TAG', 'BAD_DL_ADDR_MASK', 'BAD_NW_ADDR_MASK', 'BAD_WILDCARDS', 'BAD_FIELD', 'BAD_VALUE', 'BAD_MASK', 'BAD_PREREQ', 'DUP_FIELD', 'EPERM']],
  ['FLOW_MOD_FAILED', ['UNKNOWN', 'TABLE_FULL', 'BAD_TABLE_ID', 'OVERLAP', 'EPERM', 'BAD_TIMEOUT', 'BAD_COMMAND', 'BAD_FLAGS']],
  [
    'GROUP_MOD_FAILED',
    ['GROUP_EXISTS', 'INVALID_GROUP', 'WEIGHT_UNSUPPORTED', 'OUT_OF_GROUPS', 'OUT_OF_BUCKETS', 'CHAINING_UNSUPPORTED', 'WATCH_UNSUPPORTED', 'LOOP', 'UNKNOWN_GROUP', 'CHAINED_GROUP', 'BAD_TYPE', 'BAD_COMMAND', 'BAD_BUCKET', 'BAD_WATCH', 'EPERM'],
  ],
  ['PORT_MOD_FAILED', ['BAD_PORT', 'BAD_HW_ADDR', 'BAD_CONFIG', 'BAD_ADVERTISE', 'EPERM']],
  ['TABLE_MOD_FAILED', ['BAD_TABLE', 'BAD_CONFIG', 'EPERM']],
  ['QUEUE_OP_FAILED', ['BAD_PORT', 'BAD_QUEUE', 'EPERM']],
  ['SWITCH_CONFIG_FAILED', ['BAD_FLAGS', 'BAD_LEN', 'EPERM']],
  ['ROLE_REQUEST_FAILED', ['STALE', 'UNSUP', 'BAD_ROLE']],
  ['METER_MOD_FAILED', ['UNKNOWN', 'METER_EXISTS', 'INVALID_METER', 'UNKNOWN_METER', 'BAD_COMMAND', 'BAD_FLAGS', 'BAD_RATE', 'BAD_BURST', 'BAD_BAND', 'BAD_BAND_VALUE', 'OUT_OF_METERS', 'OUT_OF_BANDS']],
  ['TABLE_FEATURES_FAILED', ['BAD_TABLE', 'BAD_METADATA', 'BAD_TYPE', 'BAD_LEN', 'BAD_ARGUMENT', 'EPERM']],
];

export const ERROR_TYPE_EXPERIMENTER = 0xffff;
export const ONF_EXPERIMENTER = 0x4f4e4600;

/** ONF EXT-230 bundle failure codes, numbered from 2300 on OpenFlow 1.3 (OFPET_BUNDLE_FAILED in 1.4). */
const ONF_BUNDLE_CODES = [
  'UNKNOWN',
  'EPERM',
  'BAD_ID',
  'BUNDLE_EXIST',
  'BUNDLE_CLOSED',
  'OUT_OF_BUNDLES',
  'BAD_TYPE',
  'BAD_FLAGS',
  'MSG_BAD_LEN',
  'MSG_BAD_XID',
  'MSG_UNSUP',
  'MSG_CONFLICT',
  'MSG_TOO_MANY',
  'MSG_FAILED',
  'TIMEOUT',
  'BUNDLE_IN_PROGRESS',
];
const ONF_BUNDLE_BASE = 2300;

export interface ErrorNames {
  typeName: string;
  codeName: string;
}

export function errorNames(errorType: number, code: number, experimenter?: number): ErrorNames {
  if (errorType === ERROR_TYPE_EXPERIMENTER) {
    if (experimenter === ONF_EXPERIMENTER && code >= ONF_BUNDLE_BASE && code < ONF_BUNDLE_BASE + ONF_BUNDLE_CODES.length) {
      return { typeName: 'BUNDLE_FAILED', codeName: ONF_BUNDLE_CODES[code - ONF_BUNDLE_BASE] as string };
    }
    return { typeName: 'EXPERIMENTER', codeName: `0x${(experimenter ?? 0).toString(16)}/${code}` };
  }
  const entry = ERROR_TYPES[errorType];
  if (!entry) return { typeName: `TYPE_${errorType}`, codeName: `CODE_${code}` };
  return { typeName: entry[0], codeName: entry[1][code] ?? `CODE_${code}` };
}

/** The numbers of a named error, for building ERROR messages (HELLO_FAILED when versions do not match). */
export function errorNumbers(typeName: string, codeName: string): { errorType: number; code: number } {
  const errorType = ERROR_TYPES.findIndex(([name]) => name === typeName);
  const code = ERROR_TYPES[errorType]?.[1].indexOf(codeName) ?? -1;
  if (errorType < 0 || code < 0) throw new RangeError(`no OpenFlow error ${typeName}/${codeName}`);
  return { errorType, code };
}
