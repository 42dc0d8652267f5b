/**
 * SOL 004 CSAR reading and SOL 001 TOSCA VNFD/NSD parsing into a typed model: bytes in, model or precise
 * errors out. No I/O beyond the buffers given.
 */
import type { CsarLimits, Nsd, ReadResult, VnfPackageContents } from './model.js';

export * from './model.js';

/** Reads a VNF package (a SOL 004 CSAR zip): checks it defensively, verifies its manifest, parses its VNFD. */
export async function readVnfPackage(_zip: Buffer, _limits?: Partial<CsarLimits>): Promise<ReadResult<VnfPackageContents>> {
  throw new Error('readVnfPackage is not implemented yet');
}

/** Reads an NSD given as one YAML file or as a zip of descriptor files. */
export async function readNsd(_content: Buffer, _kind: 'yaml' | 'zip', _limits?: Partial<CsarLimits>): Promise<ReadResult<Nsd>> {
  throw new Error('readNsd is not implemented yet');
}
