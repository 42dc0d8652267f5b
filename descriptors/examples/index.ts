/**
 * Example packages kept as source files: three VNF packages (vFW, vLB, DPI: SOL 001 VNFDs with EPA, scaling
 * aspects and instantiation levels, SOL 004 CSARs with manifests) and the web-chain NSD (EXT -> FW -> LB -> web
 * as a VNFFG), built in memory; and their broken variants, each with the reason it must be refused for.
 */
export {
  buildExamplePackages,
  buildNsdArchive,
  buildVnfPackage,
  EXAMPLE_NSD,
  EXAMPLE_VNF_PACKAGES,
  nsdArchiveFiles,
  sealWithManifest,
  sha256,
  toscaMetaKeys,
  vnfPackageFiles,
  type ExampleVnfPackage,
  type PackageFiles,
  type PackageVariation,
} from './build.js';
export { brokenVariants, type BrokenVariant } from './broken.js';
