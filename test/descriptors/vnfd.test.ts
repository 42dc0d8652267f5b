import { readVnfPackage, type Vnfd } from '../../descriptors/index.js';
import {
  CIRROS_IMAGE,
  errorWithCode,
  positionOf,
  tackerPackage,
  valueOf,
  VNFD_DF_HIGH,
  VNFD_DF_SIMPLE,
  VNFD_ID,
  VNFD_TOP,
  withManifest,
  type PackageFiles,
} from './packages.js';
import { buildZip, sha } from './zip.js';

/** The VNFD model: identity, flavours, VDUs, storage, connection points, links and policies. */
const DF = 'Definitions/vnfd_df_simple.yaml';
const TOP = 'Definitions/vnfd_top.yaml';

async function readChanged(changes: PackageFiles, options: { secondFlavour?: boolean } = {}) {
  return readVnfPackage(await buildZip(withManifest({ ...tackerPackage(options), ...changes })));
}

async function vnfdOf(changes: PackageFiles = {}, options: { secondFlavour?: boolean } = {}): Promise<Vnfd> {
  return valueOf(await readChanged(changes, options)).vnfd;
}

describe('VNFD model of the Tacker-shaped package', () => {
  it('takes the VNF identity from the top-level VNF node', async () => {
    const vnfd = await vnfdOf();
    expect({ ...vnfd, flavours: vnfd.flavours.map((flavour) => flavour.flavourId) }).toEqual({
      vnfdId: VNFD_ID,
      provider: 'Company',
      productName: 'Sample VNF',
      softwareVersion: '1.0',
      vnfdVersion: '1.0',
      vnfmInfo: ['Tacker'],
      flavours: ['simple'],
    });
  });

  it('reads the simple flavour: VDU, image, storage, connection points, links and policies', async () => {
    const [flavour] = (await vnfdOf()).flavours;
    expect(flavour).toEqual({
      flavourId: 'simple',
      description: 'A simple flavour',
      vdus: [
        {
          vduId: 'VDU1',
          name: 'VDU1',
          description: 'VDU1 compute node',
          minInstances: 1,
          maxInstances: 3,
          swImage: {
            name: 'cirros-0.5.2-x86_64-disk',
            version: '0.5.2',
            checksum: { algorithm: 'sha-512', hash: sha('sha512', CIRROS_IMAGE) },
            containerFormat: 'bare',
            diskFormat: 'qcow2',
            minDiskGiB: 1,
            minRamMiB: 256,
            sizeBytes: 1024 ** 3,
            artifactPath: 'Files/images/cirros.img',
          },
          storageIds: ['VirtualStorage'],
          epa: {
            vcpus: 1,
            memoryMiB: 512,
            cpuPolicy: 'shared',
            threadPolicy: undefined,
            emulatorThreadPolicy: undefined,
            numa: undefined,
            pageSize: undefined,
            interfaces: [
              { cpId: 'VDU1_CP1', order: 0, kind: 'virtio', physicalNetwork: undefined, numaAffinity: undefined },
              { cpId: 'VDU1_CP2', order: 1, kind: 'virtio', physicalNetwork: undefined, numaAffinity: undefined },
            ],
          },
          initialDelta: 1,
        },
      ],
      virtualStorages: [{ storageId: 'VirtualStorage', type: 'block', sizeGiB: 10, swImage: undefined }],
      vduCps: [
        { cpId: 'VDU1_CP1', vduId: 'VDU1', order: 0, vnicType: 'normal', bitrateRequirement: undefined, virtualLinkId: 'internalVL1' },
        { cpId: 'VDU1_CP2', vduId: 'VDU1', order: 1, vnicType: 'normal', bitrateRequirement: 1000000, virtualLinkId: undefined },
      ],
      extCps: [{ cpId: 'VDU1_CP2', internalCpId: 'VDU1_CP2', virtualLinkId: undefined, requirement: 'virtual_link_external' }],
      virtualLinks: [{ virtualLinkId: 'internalVL1', layerProtocols: ['ipv4'], cidr: '198.18.10.0/24' }],
      scalingAspects: [
        {
          aspectId: 'worker_instance',
          name: 'worker_instance_aspect',
          description: 'worker_instance scaling aspect',
          maxScaleLevel: 2,
          deltas: [{ deltaId: 'delta_1', vduId: 'VDU1', instances: 1 }],
        },
      ],
      instantiationLevels: [
        { levelId: 'instantiation_level_1', description: 'Smallest size', vduInstances: { VDU1: 1 }, scaleInfo: { worker_instance: 0 } },
        { levelId: 'instantiation_level_2', description: 'Largest size', vduInstances: { VDU1: 3 }, scaleInfo: { worker_instance: 2 } },
      ],
      defaultInstantiationLevelId: 'instantiation_level_1',
      affinityRules: [{ ruleId: 'policy_antiaffinity_vdu1', kind: 'anti-affinity', scope: 'zone', vduIds: ['VDU1'] }],
    });
  });

  it('reads each deployment flavour file as its own flavour', async () => {
    const vnfd = await vnfdOf({}, { secondFlavour: true });
    expect(vnfd.flavours.map((flavour) => [flavour.flavourId, flavour.description, flavour.vdus.map((vdu) => vdu.vduId)])).toEqual([
      ['simple', 'A simple flavour', ['VDU1']],
      ['high', 'Pinned CPUs, hugepages and SR-IOV', ['dataplane']],
    ]);
    expect(vnfd.flavours[1]?.vdus[0]?.epa).toEqual({
      vcpus: 4,
      memoryMiB: 4096,
      cpuPolicy: 'dedicated',
      threadPolicy: 'isolate',
      emulatorThreadPolicy: 'isolate',
      numa: { nodes: [{ id: 0, vcpus: [0, 1], memoryMiB: 2048 }, { id: 1, vcpus: [2, 3], memoryMiB: 2048 }] },
      pageSize: '1GB',
      interfaces: [
        { cpId: 'dataplane_mgmt', order: 0, kind: 'virtio', physicalNetwork: undefined, numaAffinity: undefined },
        { cpId: 'dataplane_sriov', order: 1, kind: 'sriov-vf', physicalNetwork: 'physnet-sriov', numaAffinity: 'required' },
      ],
    });
  });

  it('refuses two flavours with the same flavour_id', async () => {
    const high = VNFD_DF_HIGH.replace('      flavour_id: high', '      flavour_id: simple');
    expect(errorWithCode(await readChanged({ 'Definitions/vnfd_df_high.yaml': high }, { secondFlavour: true }), 'flavour-duplicate')).toMatchObject({
      message: 'flavour simple is defined more than once',
      file: 'Definitions/vnfd_df_high.yaml',
      path: 'topology_template',
    });
  });

  it('reads VnfExtCp nodes and placement groups', async () => {
    const df = VNFD_DF_SIMPLE.replace(
      '    internalVL1:\n',
      `    ext_cp:
      type: tosca.nodes.nfv.VnfExtCp
      properties:
        layer_protocols: [ ipv4 ]
      requirements:
        - internal_virtual_link: internalVL1

    internalVL1:
`,
    ).replace(
      '  policies:\n',
      `  groups:
    workers:
      type: tosca.groups.nfv.PlacementGroup
      properties:
        description: VDUs kept together
      members: [ VDU1, internalVL1 ]

  policies:
    - together:
        type: tosca.policies.nfv.AffinityRule
        targets: [ workers ]
        properties:
          scope: nfvi_node
`,
    );
    const result = await readChanged({ [DF]: df });
    const flavour = valueOf(result).vnfd.flavours[0];
    expect(flavour?.extCps).toEqual([
      { cpId: 'ext_cp', internalCpId: undefined, virtualLinkId: 'internalVL1' },
      { cpId: 'VDU1_CP2', internalCpId: 'VDU1_CP2', virtualLinkId: undefined, requirement: 'virtual_link_external' },
    ]);
    expect(flavour?.affinityRules[0]).toEqual({ ruleId: 'together', kind: 'affinity', scope: 'nfvi-node', vduIds: ['VDU1'] });
    expect(result.ok && result.warnings.map((warning) => [warning.code, warning.message])).toEqual([
      ['placement-target', 'together applies to internalVL1, which is not a VDU; only VDUs are placed by rules'],
    ]);
  });

  it('reads a single-file VNFD whose VNF node is in the same topology', async () => {
    const single = VNFD_DF_SIMPLE.replace('  substitution_mappings:\n    node_type: company.provider.VNF\n    properties:\n      flavour_id: simple\n    requirements:\n      virtual_link_external: [ VDU1_CP2, virtual_link ]\n', '');
    const files = tackerPackage();
    delete files[TOP];
    files['TOSCA-Metadata/TOSCA.meta'] = String(files['TOSCA-Metadata/TOSCA.meta']).replace('vnfd_top.yaml', 'vnfd_df_simple.yaml');
    const vnfd = valueOf(await readVnfPackage(await buildZip(withManifest({ ...files, [DF]: single })))).vnfd;
    expect([vnfd.vnfdId, vnfd.flavours.map((flavour) => [flavour.flavourId, flavour.description, flavour.extCps])]).toEqual([VNFD_ID, [['simple', 'A simple flavour', []]]]);
  });
});

describe('VNFD refusals', () => {
  it('refuses a software image that does not match its sw_image_data checksum', async () => {
    const error = errorWithCode(await readChanged({ 'Files/images/cirros.img': Buffer.from('another image') }), 'sw-image-checksum');
    expect(error).toMatchObject({
      message: 'Files/images/cirros.img does not have the sha-512 checksum sw_image_data declares',
      file: DF,
      path: 'topology_template.node_templates.VDU1',
      line: positionOf(VNFD_DF_SIMPLE, 'hash:').line,
    });
  });

  it('refuses an artifact file that is not in the package, or outside it; an image URL is external', async () => {
    const missing = VNFD_DF_SIMPLE.replace('../Files/images/cirros.img', '../Files/images/missing.img');
    expect(errorWithCode(await readChanged({ [DF]: missing }), 'artifact-missing')).toMatchObject({
      message: 'artifact ../Files/images/missing.img is not in the package (looked for Files/images/missing.img)',
      line: positionOf(missing, '../Files/images/missing.img').line,
    });
    const outside = VNFD_DF_SIMPLE.replace('../Files/images/cirros.img', '../../../etc/passwd');
    expect(errorWithCode(await readChanged({ [DF]: outside }), 'artifact-outside-package').message).toBe('artifact ../../../etc/passwd climbs out of the package');
    const external = VNFD_DF_SIMPLE.replace('../Files/images/cirros.img', 'https://images.example.com/cirros.img');
    expect((await vnfdOf({ [DF]: external })).flavours[0]?.vdus[0]?.swImage?.artifactPath).toBeUndefined();
  });

  it('reads the short artifact notation, relative to the package root too', async () => {
    const short = VNFD_DF_SIMPLE.replace('        sw_image:\n          type: tosca.artifacts.nfv.SwImage\n          file: ../Files/images/cirros.img', '        sw_image: Files/images/cirros.img');
    expect((await vnfdOf({ [DF]: short })).flavours[0]?.vdus[0]?.swImage?.artifactPath).toBe('Files/images/cirros.img');
  });

  it('refuses scaling deltas and levels that name undeclared aspects, deltas or levels', async () => {
    const df = VNFD_DF_SIMPLE.replace('          aspect: worker_instance', '          aspect: worker')
      .replace('          default_level: instantiation_level_1', '          default_level: instantiation_level_9')
      .replace('            instantiation_level_2:\n              number_of_instances: 3', '            instantiation_level_3:\n              number_of_instances: 3');
    const result = await readChanged({ [DF]: df });
    expect(errorWithCode(result, 'unknown-aspect')).toMatchObject({ message: 'VDU1_scaling_aspect_deltas names the aspect worker, which ScalingAspects does not declare', line: positionOf(df, 'aspect: worker').line });
    expect(errorsOfCode(result, 'unknown-instantiation-level')).toEqual([
      'default_level instantiation_level_9 is not one of the levels',
      'VDU1_instantiation_levels names the level instantiation_level_3, which InstantiationLevels does not declare',
    ]);
    const delta = VNFD_DF_SIMPLE.replace('            delta_1:\n              number_of_instances: 1', '            delta_2:\n              number_of_instances: 1');
    expect(errorWithCode(await readChanged({ [DF]: delta }), 'unknown-delta').message).toBe('delta delta_2 is not one of the step_deltas of aspect worker_instance (delta_1)');
  });

  it.each([
    [
      'a vdu_profile whose minimum is above its maximum',
      'min_number_of_instances: 1\n          max_number_of_instances: 3',
      'min_number_of_instances: 4\n          max_number_of_instances: 3',
      'vdu-profile-range',
      { message: 'vdu_profile.min_number_of_instances (4) is greater than max_number_of_instances (3)', path: 'topology_template.node_templates.VDU1' },
    ],
    [
      'a VduCp bound to no VDU',
      '        order: 1\n        bitrate_requirement: 1000000\n      requirements:\n        - virtual_binding: VDU1\n',
      '        order: 1\n',
      'requirement-missing',
      { message: 'VduCp VDU1_CP2 is bound to no VDU: add the requirement "virtual_binding: <VDU>"', path: 'topology_template.node_templates.VDU1_CP2' },
    ],
  ])('refuses %s', async (_name, original, replacement, code, expected) => {
    expect(errorWithCode(await readChanged({ [DF]: VNFD_DF_SIMPLE.replace(original, replacement) }), code)).toMatchObject(expected);
  });

  it('refuses a flavour that says nothing of its flavour_id', async () => {
    const df = VNFD_DF_SIMPLE.replace('    properties:\n      flavour_id: simple\n', '').replace(/    VNF:\n(.*\n){7}/, '');
    expect(errorWithCode(await readChanged({ [DF]: df }), 'flavour-id-missing')).toMatchObject({
      message: "this deployment flavour has no flavour_id: set substitution_mappings.properties.flavour_id or the VNF node's flavour_id",
      file: DF,
      path: 'topology_template',
    });
  });

  it('refuses a VNFD without a VNF node, or with two', async () => {
    const noVnf = VNFD_TOP.replace(/    VNF:\n[\s\S]*$/, '    Other:\n      type: tosca.nodes.nfv.VnfVirtualLink\n      properties: { connectivity_type: { layer_protocols: [ ipv4 ] }, vl_profile: { max_bitrate_requirements: { root: 1 }, min_bitrate_requirements: { root: 1 } } }\n');
    const dfWithoutVnf = VNFD_DF_SIMPLE.replace(/    VNF:\n(.*\n){7}/, '');
    expect(errorWithCode(await readChanged({ [TOP]: noVnf, [DF]: dfWithoutVnf }), 'vnf-node-missing').message).toBe('no node template of a type derived from tosca.nodes.nfv.VNF describes the VNF');
    const twoVnfs = VNFD_TOP + '    VNF2:\n      type: company.provider.VNF\n';
    expect(errorWithCode(await readChanged({ [TOP]: twoVnfs }), 'vnf-node-multiple').message).toBe('VNF2 is a second VNF node; a VNFD describes one VNF (the first is VNF)');
  });
});

function errorsOfCode(result: Awaited<ReturnType<typeof readVnfPackage>>, code: string): string[] {
  return result.ok ? [] : result.errors.filter((error) => error.code === code).map((error) => error.message);
}
