/** What each example declares, written out by hand: the tests compare what the product reads with this. */
import type { ExampleVnfPackage } from '../../descriptors/examples/index.js';
import type { VduEpa } from '../../descriptors/index.js';

export interface ExpectedVnfPackage {
  vnfdId: string;
  provider: string;
  productName: string;
  softwareVersion: string;
  vnfdVersion: string;
  vduId: string;
  image: { name: string; version: string; path: string; minDiskGiB: number; minRamMiB: number };
  epa: VduEpa;
  scaling: { aspectId: string; maxScaleLevel: number; instancesPerStep: number; minInstances: number; maxInstances: number };
  /** Level -> instances of the VDU; the default level first. */
  levels: Array<[string, number]>;
  /** Every deployment flavour, the one the other fields describe first. */
  flavourIds: string[];
  /** Files the manifest lists (one more per additional flavour file). */
  manifestEntries: number;
}

function epa(vduId: string, vcpus: number, memoryMiB: number, threadPolicy: VduEpa['threadPolicy'], emulatorThreadPolicy: VduEpa['emulatorThreadPolicy']): VduEpa {
  return {
    vcpus,
    memoryMiB,
    cpuPolicy: 'dedicated',
    threadPolicy,
    emulatorThreadPolicy,
    numa: { nodes: [{ id: 0, vcpus: Array.from({ length: vcpus }, (_, cpu) => cpu), memoryMiB }] },
    pageSize: '1GB',
    interfaces: [
      { cpId: `${vduId}_data`, order: 0, kind: 'sriov-vf', physicalNetwork: 'physnet-data', numaAffinity: 'required' },
      { cpId: `${vduId}_mgmt`, order: 1, kind: 'virtio', physicalNetwork: undefined, numaAffinity: undefined },
    ],
  };
}

export const EXPECTED: Record<ExampleVnfPackage, ExpectedVnfPackage> = {
  vfw: {
    vnfdId: '79ccd4ef-8792-4ec7-b49d-75f5becf53da',
    provider: 'Company',
    productName: 'vFW',
    softwareVersion: '1.0.0',
    vnfdVersion: '1.0',
    vduId: 'fw',
    image: { name: 'vfw-1.0.0', version: '1.0.0', path: 'Files/images/vfw-1.0.0.img', minDiskGiB: 1, minRamMiB: 4096 },
    epa: epa('fw', 4, 4096, 'require', undefined),
    scaling: { aspectId: 'fw_capacity', maxScaleLevel: 3, instancesPerStep: 1, minInstances: 1, maxInstances: 4 },
    levels: [
      ['small', 1],
      ['large', 4],
    ],
    flavourIds: ['default'],
    manifestEntries: 7,
  },
  vlb: {
    vnfdId: 'fb587d61-8bd6-4c96-b2f7-4ef082c672cd',
    provider: 'Company',
    productName: 'vLB',
    softwareVersion: '2.1.0',
    vnfdVersion: '2.1',
    vduId: 'lb',
    image: { name: 'vlb-2.1.0', version: '2.1.0', path: 'Files/images/vlb-2.1.0.img', minDiskGiB: 1, minRamMiB: 2048 },
    epa: epa('lb', 2, 2048, 'prefer', undefined),
    scaling: { aspectId: 'lb_capacity', maxScaleLevel: 2, instancesPerStep: 1, minInstances: 1, maxInstances: 3 },
    levels: [
      ['pair', 2],
      ['single', 1],
      ['triple', 3],
    ],
    flavourIds: ['default', 'small'],
    manifestEntries: 8,
  },
  dpi: {
    vnfdId: 'd0497454-f447-4d60-9203-2d5331166b24',
    provider: 'Company',
    productName: 'DPI',
    softwareVersion: '3.0.2',
    vnfdVersion: '3.0',
    vduId: 'engine',
    image: { name: 'dpi-3.0.2', version: '3.0.2', path: 'Files/images/dpi-3.0.2.img', minDiskGiB: 2, minRamMiB: 8192 },
    epa: epa('engine', 8, 8192, 'isolate', 'isolate'),
    scaling: { aspectId: 'inspection_capacity', maxScaleLevel: 1, instancesPerStep: 2, minInstances: 1, maxInstances: 3 },
    levels: [
      ['basic', 1],
      ['full', 3],
    ],
    flavourIds: ['default'],
    manifestEntries: 7,
  },
};

export const EXPECTED_NSD = {
  nsdId: 'ebf4175f-5b60-4390-93d7-2e81239dc074',
  invariantId: '5e590350-b0ad-46ee-9ed6-7218f173f3d5',
  designer: 'Company',
  name: 'web-chain',
  version: '1.0',
};
