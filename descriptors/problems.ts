import type { DescriptorError } from './model.js';

/**
 * Every kind of problem a package can have, with what it means. The code is what callers and tests match on;
 * the message of each problem says what to change.
 */
export const DESCRIPTOR_ERROR_CODES = {
  // The zip container (defensive reading).
  'zip-invalid': 'the upload is not a readable zip archive, or an entry cannot be inflated',
  'zip-too-many-entries': 'the archive has more entries than allowed',
  'zip-entry-too-large': 'one entry inflates to more bytes than allowed',
  'zip-too-large': 'all entries together inflate to more bytes than allowed',
  'zip-ratio': 'an entry or the archive inflates far more than its compressed size (zip bomb)',
  'zip-size-mismatch': 'an entry inflates to another size than its header declares',
  'zip-crc-mismatch': 'the bytes of an entry do not match its CRC-32',
  'zip-path-traversal': 'an entry name climbs out of the archive with ".."',
  'zip-absolute-path': 'an entry name is absolute (leading slash or drive letter)',
  'zip-bad-name': 'an entry name has a backslash, a control character or is empty',
  'zip-symlink': 'an entry is a symbolic link',
  'zip-special-file': 'an entry is a device, pipe or socket',
  'zip-duplicate-name': 'two entries have the same name',
  'zip-encrypted': 'an entry is encrypted',
  'zip-unsupported-compression': 'an entry uses a compression method other than stored or deflate',
  // CSAR layout (SOL 004).
  'tosca-meta-syntax': 'a line of TOSCA-Metadata/TOSCA.meta is not "Key: value"',
  'tosca-meta-missing-key': 'TOSCA.meta lacks a key SOL 004 requires',
  'tosca-meta-version': 'TOSCA.meta declares a file or CSAR version this reader does not know',
  'entry-missing': 'a file named by TOSCA.meta (or the root YAML) is not in the package',
  'entry-definitions-ambiguous': 'without TOSCA-Metadata, the root holds no YAML file or more than one',
  'entry-metadata-missing-key': 'the root YAML of a package without TOSCA-Metadata lacks a metadata key',
  'manifest-syntax': 'a line of the manifest is not understood',
  'manifest-algorithm': 'a manifest entry names a hash algorithm other than SHA-256, SHA-384 or SHA-512',
  'manifest-hash-format': 'a manifest hash is not hex of the algorithm\'s length',
  'manifest-hash-mismatch': 'a file does not have the hash the manifest (or TOSCA.meta) declares',
  'manifest-source-missing': 'a manifest entry names a file that is not in the package',
  'manifest-duplicate-source': 'the manifest lists the same file twice',
  'manifest-incomplete-entry': 'a manifest entry lacks Algorithm or Hash',
  'manifest-external-source': 'a manifest entry names an external URI, which is not fetched (warning)',
  'manifest-metadata-missing': 'the manifest lacks package metadata SOL 004 asks for (warning)',
  'manifest-metadata-mismatch': 'the manifest metadata disagrees with the descriptor (warning)',
  'manifest-absent': 'the package has no manifest, so no file is checked against a hash (warning)',
  // YAML and TOSCA.
  'encoding': 'a descriptor file is not UTF-8',
  'yaml-syntax': 'a descriptor file is not valid YAML',
  'tosca-version': 'a descriptor lacks a known tosca_definitions_version',
  'tosca-syntax': 'a TOSCA section does not have the shape the grammar requires',
  'import-unresolved': 'an import names a file that is neither in the package nor a known SOL 001 definition',
  'import-outside-package': 'an import climbs out of the package',
  'import-unsupported-version': 'an import names SOL 001 definitions older than 2.6.1',
  'unknown-node-type': 'a node template names a node type that no imported definition declares',
  'unknown-type': 'a type refers to a type (derived_from, property, capability, policy, group, artifact) that is not declared',
  'type-cycle': 'a derived_from chain comes back to itself',
  'duplicate-type': 'two imported files declare the same type; the first one wins (warning)',
  'required-property': 'a required property has no value and no default',
  'property-type': 'a value does not have the type its definition declares',
  'property-constraint': 'a value breaks a constraint of its definition',
  'unknown-property': 'a property that the type does not declare (warning)',
  'unknown-input': 'get_input names an input the topology template does not declare',
  'unknown-capability': 'a capability that the node type does not declare (warning)',
  'unknown-requirement': 'a requirement that the node type does not declare (warning)',
  'unknown-target': 'a requirement, policy, group or mapping names a node template that does not exist',
  'requirement-target-type': 'a requirement points at a node of a type the requirement does not accept',
  'policy-target-type': 'a policy targets a node of a type the policy type does not accept',
  'group-member-type': 'a group has a member of a type the group type does not accept',
  'requirement-missing': 'a node template lacks a requirement its role needs (a VduCp without virtual_binding)',
  // VNFD.
  'vnf-node-missing': 'no node template of a type derived from tosca.nodes.nfv.VNF describes the VNF',
  'vnf-node-multiple': 'more than one node template describes the VNF',
  'substitution-node-type': 'a deployment flavour substitutes a node type other than the VNF\'s',
  'flavour-id-missing': 'a deployment flavour has no flavour_id',
  'flavour-duplicate': 'two deployment flavours have the same flavour_id',
  'artifact-missing': 'an artifact file named by a node template is not in the package',
  'artifact-outside-package': 'an artifact file path climbs out of the package',
  'sw-image-checksum': 'a software image file does not match the checksum of its sw_image_data',
  'vdu-profile-range': 'min_number_of_instances is greater than max_number_of_instances',
  'unknown-aspect': 'a policy names a scaling aspect that ScalingAspects does not declare',
  'unknown-delta': 'a scaling delta is not one of the step_deltas of its aspect',
  'unknown-instantiation-level': 'a policy names an instantiation level that InstantiationLevels does not declare',
  'placement-target': 'a placement rule targets something that is not a VDU; it is not enforced (warning)',
  // EPA: every requirement reaches the VIM or the package is refused.
  'epa-unknown-key': 'a platform requirement key that cannot be enforced',
  'epa-bad-value': 'a platform requirement value that cannot be enforced',
  'epa-contradiction': 'platform requirements that contradict each other or the VDU\'s size',
  'epa-unsupported': 'a platform feature this orchestrator cannot provide',
  'epa-no-requirement': 'an entry that states no platform requirement and is ignored (a warning)',
  // NSD.
  'ns-node-missing': 'no node template of a type derived from tosca.nodes.nfv.NS describes the NS',
  'ns-node-multiple': 'more than one node template describes the NS',
  'vnffg-element-target': 'an NfpPositionElement does not point at a VNF or a Sap',
  'nfp-rule-value': 'an NfpRule match cannot be turned into a classifier',
  'ns-scale-levels': 'NS scale or instantiation levels that do not fit: a level gap, a level the aspect lacks, a profile scaled by two aspects, instances outside the VNF profile\'s range',
  // The reader itself.
  'internal-error': 'the reader failed on this input; this is a defect of the reader, not of the package',
} as const;

export type DescriptorErrorCode = keyof typeof DESCRIPTOR_ERROR_CODES;

export interface Position {
  line: number;
  column: number;
}

/** One step of a path inside a template: a map key or a list index. */
export type PathSegment = string | number;

/** Where something is: the file, its place in the template, and its line and column when known. */
export interface Site {
  file: string | undefined;
  path: readonly PathSegment[];
  at: Position | undefined;
}

const PLAIN_SEGMENT = /^[A-Za-z0-9_:@$-]+$/;

/** `topology_template.policies[2].scaling_aspects`; keys with dots or spaces are quoted, indices bracketed. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_SEGMENT.test(segment)) text += (text === '' ? '' : '.') + segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** `file:line:column path: message`, the one-line form people read in logs and API answers. */
export function formatDescriptorError(error: DescriptorError): string {
  let where = error.file ?? '';
  if (error.file !== undefined && error.line !== undefined) where += `:${error.line}:${error.column ?? 1}`;
  if (error.path) where += (where ? ' ' : '') + error.path;
  return where ? `${where}: ${error.message}` : error.message;
}

/** Collects the errors and warnings of one read; the same problem at the same place is kept once. */
export class Problems {
  readonly errors: DescriptorError[] = [];
  readonly warnings: DescriptorError[] = [];
  private readonly seen = new Set<string>();

  error(code: DescriptorErrorCode, message: string, site?: Site): void {
    this.add(this.errors, code, message, site);
  }

  warn(code: DescriptorErrorCode, message: string, site?: Site): void {
    this.add(this.warnings, code, message, site);
  }

  /** Either an error or a warning, as the caller's rule decides. */
  report(severity: 'error' | 'warning', code: DescriptorErrorCode, message: string, site?: Site): void {
    this.add(severity === 'error' ? this.errors : this.warnings, code, message, site);
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  private add(list: DescriptorError[], code: DescriptorErrorCode, message: string, site: Site | undefined): void {
    const problem: DescriptorError = { code, message };
    if (site?.file !== undefined) problem.file = site.file;
    if (site?.at) {
      problem.line = site.at.line;
      problem.column = site.at.column;
    }
    if (site && site.path.length > 0) problem.path = formatPath(site.path);
    const key = JSON.stringify([list === this.errors, code, message, problem.file, problem.line, problem.column, problem.path]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    list.push(problem);
  }
}

/** A site in a file with no particular place inside it. */
export const inFile = (file: string, at?: Position): Site => ({ file, path: [], at });
