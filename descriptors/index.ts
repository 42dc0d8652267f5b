/**
 * SOL 004 CSAR reading and SOL 001 TOSCA VNFD/NSD parsing into a typed model: bytes in, model or precise
 * errors out. No I/O beyond the buffers given.
 */
import { sha256 } from './checksum.js';
import { readCsar, type Csar } from './csar.js';
import { NSD_METADATA, VNF_PACKAGE_METADATA } from './manifest.js';
import {
  DEFAULT_CSAR_LIMITS,
  type CsarLimits,
  type Nsd,
  type PackageArtifact,
  type ReadResult,
  type VnfPackageContents,
} from './model.js';
import { buildNsd } from './nsd.js';
import { inFile, Problems } from './problems.js';
import { loadServiceTemplate, type ServiceTemplate } from './service-template.js';
import { buildVnfd } from './vnfd.js';

export * from './model.js';
export { DESCRIPTOR_ERROR_CODES, formatDescriptorError, type DescriptorErrorCode } from './problems.js';

/** The file name an NSD given as one YAML document is reported under. */
export const NSD_YAML_FILE = 'nsd.yaml';

/** Reads a VNF package (a SOL 004 CSAR zip): checks it defensively, verifies its manifest, parses its VNFD. */
export async function readVnfPackage(zip: Buffer, limits?: Partial<CsarLimits>): Promise<ReadResult<VnfPackageContents>> {
  return guarded(async (problems) => {
    const csar = await readCsar(zip, { ...DEFAULT_CSAR_LIMITS, ...limits }, { metadataNames: VNF_PACKAGE_METADATA }, problems);
    const template = csar && loadServiceTemplate(csar.entryDefinitions, csar.files, problems);
    // A file that does not parse or an import that does not resolve leaves types missing: stop before the cascade.
    const reading = template && !problems.failed ? buildVnfd(template, csar.files, problems) : undefined;
    if (!csar || !template || !reading || problems.failed) return undefined;
    const { vnfd, softwareImages } = reading;
    const metadata = csar.manifest?.metadata ?? {};
    for (const [name, value] of [['vnf_provider_id', vnfd.provider], ['vnf_product_name', vnfd.productName]] as const) {
      const declared = metadata[name];
      if (declared !== undefined && declared !== value && csar.manifest) {
        problems.warn('manifest-metadata-mismatch', `the manifest's ${name} is "${declared}" but the VNFD says "${value}"`, inFile(csar.manifest.path));
      }
    }
    const descriptorFiles = descriptorFilesOf(template);
    const files = csar.files;
    return {
      vnfd,
      toscaMeta: csar.toscaMeta,
      entryDefinitions: csar.entryDefinitions,
      manifest: csar.manifest,
      descriptorFiles,
      artifacts: artifactsOf(csar, new Set(descriptorFiles), softwareImages),
      files: [...files].map(([path, bytes]) => ({ path, size: bytes.length, sha256: sha256(bytes) })),
      file: (path: string) => files.get(path),
    };
  });
}

/** Reads an NSD given as one YAML file or as a zip of descriptor files. */
export async function readNsd(content: Buffer, kind: 'yaml' | 'zip', limits?: Partial<CsarLimits>): Promise<ReadResult<Nsd>> {
  return guarded(async (problems) => {
    let files: ReadonlyMap<string, Buffer>;
    let entry: string;
    if (kind === 'zip') {
      const csar = await readCsar(content, { ...DEFAULT_CSAR_LIMITS, ...limits }, { metadataNames: NSD_METADATA }, problems);
      if (!csar) return undefined;
      files = csar.files;
      entry = csar.entryDefinitions;
    } else {
      files = new Map([[NSD_YAML_FILE, content]]);
      entry = NSD_YAML_FILE;
    }
    const template = loadServiceTemplate(entry, files, problems);
    const nsd = template && !problems.failed ? buildNsd(template, problems) : undefined;
    if (!template || !nsd || problems.failed) return undefined;
    return { ...nsd, descriptorFiles: descriptorFilesOf(template) };
  });
}

/** Runs a read so that it never throws: every problem, even a defect of the reader, is a DescriptorError. */
async function guarded<T>(read: (problems: Problems) => Promise<T | undefined>): Promise<ReadResult<T>> {
  const problems = new Problems();
  try {
    const value = await read(problems);
    if (value !== undefined && !problems.failed) return { ok: true, value, warnings: problems.warnings };
  } catch (error) {
    problems.error('internal-error', error instanceof Error ? error.message : String(error));
  }
  if (!problems.failed) problems.error('internal-error', 'the package could not be read, and no reason was recorded');
  return { ok: false, errors: problems.errors };
}

function descriptorFilesOf(template: ServiceTemplate): string[] {
  return template.documents.filter((document) => document.fromPackage).map((document) => document.file);
}

/** Every file that is neither metadata nor a descriptor, with the checksum the package declares (else SHA-256). */
function artifactsOf(csar: Csar, descriptors: ReadonlySet<string>, softwareImages: ReadonlySet<string>): PackageArtifact[] {
  return [...csar.files]
    .filter(([path]) => !descriptors.has(path) && !csar.metadataFiles.has(path))
    .map(([path, bytes]) => ({
      path,
      checksum: csar.verified.get(path) ?? { algorithm: 'SHA-256', hash: sha256(bytes) },
      isSoftwareImage: softwareImages.has(path),
    }));
}
