import { SOL001_COMMON_TYPES } from './common-types.js';
import { SOL001_NSD_TYPES, SOL001_PNFD_TYPES } from './nsd-types.js';
import { TOSCA_NORMATIVE_TYPES } from './tosca-normative-types.js';
import { SOL001_VNFD_TYPES } from './vnfd-types.js';

/**
 * The type definitions the product ships, by the file names templates import them by. Packages name them
 * as relative files (`etsi_nfv_sol001_vnfd_types.yaml`) or by their ETSI forge URL
 * (`https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_vnfd_types.yaml`); no URL is ever fetched.
 */
export const SOL001_DEFINITIONS: ReadonlyMap<string, string> = new Map([
  ['etsi_nfv_sol001_common_types.yaml', SOL001_COMMON_TYPES],
  ['etsi_nfv_sol001_vnfd_types.yaml', SOL001_VNFD_TYPES],
  ['etsi_nfv_sol001_nsd_types.yaml', SOL001_NSD_TYPES],
  ['etsi_nfv_sol001_pnfd_types.yaml', SOL001_PNFD_TYPES],
]);

/** Loaded before anything a template imports. */
export const NORMATIVE_TYPES_FILE = 'tosca_normative_types.yaml';
export const NORMATIVE_TYPES = TOSCA_NORMATIVE_TYPES;

/** The oldest SOL 001 version whose definitions these stand for. */
const OLDEST_SOL001_VERSION = [2, 6, 1] as const;

const FORGE_URL = /^https?:\/\/forge\.etsi\.org\/rep\/nfv\/SOL001\/raw\/v?(\d+)\.(\d+)\.(\d+)\/([A-Za-z0-9_.-]+)$/;

/** Reads an ETSI forge URL of SOL 001 definitions: its file name and version. */
export function forgeImport(url: string): { fileName: string; version: [number, number, number] } | undefined {
  const match = FORGE_URL.exec(url.trim());
  if (!match) return undefined;
  const [, major, minor, patch, fileName] = match;
  return { fileName: fileName ?? '', version: [Number(major), Number(minor), Number(patch)] };
}

export function isSupportedVersion(version: readonly number[]): boolean {
  for (let index = 0; index < OLDEST_SOL001_VERSION.length; index++) {
    const have = version[index] ?? 0;
    const oldest = OLDEST_SOL001_VERSION[index] ?? 0;
    if (have !== oldest) return have > oldest;
  }
  return true;
}
