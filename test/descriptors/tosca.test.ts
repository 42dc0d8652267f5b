import { formatDescriptorError, readNsd, readVnfPackage, type DescriptorError } from '../../descriptors/index.js';
import { SOL001_COMMON_TYPES } from '../../descriptors/sol001/common-types.js';
import { SOL001_VNFD_TYPES } from '../../descriptors/sol001/vnfd-types.js';
import { errorWithCode, positionOf, tackerPackage, valueOf, VNFD_DF_SIMPLE, VNFD_TOP, VNFD_TYPES, withManifest, type PackageFiles } from './packages.js';
import { buildZip } from './zip.js';

/** TOSCA: YAML with positions, imports, types along derived_from, properties, get_input, substitution. */
const DF = 'Definitions/vnfd_df_simple.yaml';
const TOP = 'Definitions/vnfd_top.yaml';
const TYPES = 'Definitions/vnfd_types.yaml';
const VDU1 = 'topology_template.node_templates.VDU1';

/** The Tacker package with some files replaced, read. */
async function readChanged(changes: PackageFiles) {
  return readVnfPackage(await buildZip(withManifest({ ...tackerPackage(), ...changes })));
}

/** The 1-based position of `needle` inside `text`, as an error location. */
function at(file: string, text: string, needle: string, offset = 0): Pick<DescriptorError, 'file' | 'line' | 'column'> {
  const { line, column } = positionOf(text, needle);
  return { file, line, column: column + offset };
}

describe('YAML', () => {
  it('reports a syntax error with its file, line and column', async () => {
    const broken = VNFD_DF_SIMPLE.replace('        description: VDU1 compute node\n', '        description: VDU1 compute node\n\tname: tab-indented\n');
    expect(errorWithCode(await readChanged({ [DF]: broken }), 'yaml-syntax')).toEqual({
      code: 'yaml-syntax',
      message: 'Tabs are not allowed as indentation',
      ...at(DF, broken, '\tname: tab-indented'),
    });
  });

  it('reports a duplicate key where the second one is written', async () => {
    const broken = VNFD_DF_SIMPLE.replace('        name: VDU1\n', '        name: VDU1\n        name: VDU2\n');
    expect(errorWithCode(await readChanged({ [DF]: broken }), 'yaml-syntax')).toEqual({
      code: 'yaml-syntax',
      message: 'Map keys must be unique',
      ...at(DF, broken, 'name: VDU2'),
    });
  });

  it('refuses a descriptor that is not UTF-8, or has no tosca_definitions_version', async () => {
    expect(errorWithCode(await readChanged({ [TYPES]: Buffer.from([0x74, 0x6f, 0xff, 0xfe]) }), 'encoding')).toMatchObject({ file: TYPES });
    const unversioned = VNFD_TYPES.replace('tosca_definitions_version: tosca_simple_yaml_1_2\n', '');
    expect(errorWithCode(await readChanged({ [TYPES]: unversioned }), 'tosca-version')).toMatchObject({
      file: TYPES,
      message: 'tosca_definitions_version is missing; expected one of tosca_simple_yaml_1_0, tosca_simple_yaml_1_1, tosca_simple_yaml_1_2, tosca_simple_yaml_1_3',
    });
  });
});

describe('the SOL 001 definitions the product ships', () => {
  it('load together, by name and by URL, with every type they refer to declared', async () => {
    const nsd = `tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.4.1/etsi_nfv_sol001_vnfd_types.yaml
  - etsi_nfv_sol001_nsd_types.yaml
  - etsi_nfv_sol001_pnfd_types.yaml
topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties: { descriptor_id: d, designer: c, version: '1', name: n, invariant_id: i, flavour_id: f }
`;
    const result = await readNsd(Buffer.from(nsd), 'yaml');
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });
});

describe('imports', () => {
  it('refuses an import that is not in the package, where it is written', async () => {
    const top = VNFD_TOP.replace('  - vnfd_types.yaml\n', '  - vnfd_types.yaml\n  - missing_types.yaml\n');
    expect(errorWithCode(await readChanged({ [TOP]: top }), 'import-unresolved')).toEqual({
      code: 'import-unresolved',
      message: 'missing_types.yaml is not in the package (looked for Definitions/missing_types.yaml)',
      ...at(TOP, top, 'missing_types.yaml'),
      path: 'imports[3]',
    });
  });

  it('never fetches: a URL that is not SOL 001, or SOL 001 older than 2.6.1, is refused', async () => {
    const url = VNFD_TOP.replace('  - vnfd_types.yaml\n', '  - vnfd_types.yaml\n  - https://example.com/tosca/types.yaml\n');
    expect(errorWithCode(await readChanged({ [TOP]: url }), 'import-unresolved').message).toBe(
      'https://example.com/tosca/types.yaml is a URL; nothing is fetched from the network, so ship the file in the package',
    );
    const old = VNFD_TOP.replace('  - etsi_nfv_sol001_vnfd_types.yaml\n', '  - https://forge.etsi.org/rep/nfv/SOL001/raw/v2.5.1/etsi_nfv_sol001_vnfd_types.yaml\n');
    expect(errorWithCode(await readChanged({ [TOP]: old }), 'import-unsupported-version')).toMatchObject({
      message: 'https://forge.etsi.org/rep/nfv/SOL001/raw/v2.5.1/etsi_nfv_sol001_vnfd_types.yaml names SOL 001 v2.5.1; definitions from v2.6.1 on are supported',
      path: 'imports[1]',
    });
  });

  it('refuses an import that climbs out of the package, and one from a repository', async () => {
    const outside = VNFD_TOP.replace('  - vnfd_types.yaml\n', '  - ../../outside.yaml\n  - { file: types.yaml, repository: vendor_repo }\n');
    const result = await readChanged({ [TOP]: outside });
    expect(errorWithCode(result, 'import-outside-package').message).toBe('../../outside.yaml climbs out of the package');
    expect(errorWithCode(result, 'import-unresolved').message).toBe('types.yaml is imported from the repository vendor_repo; repositories are not fetched, ship the file in the package');
  });

  it('resolves SOL 001 by ETSI forge URLs of 2.6.1 and later, and the { file: ... } form', async () => {
    const top = VNFD_TOP.replace('  - etsi_nfv_sol001_common_types.yaml\n', '  - https://forge.etsi.org/rep/nfv/SOL001/raw/v3.3.1/etsi_nfv_sol001_common_types.yaml\n').replace(
      '  - vnfd_types.yaml\n',
      '  - file: vnfd_types.yaml\n',
    );
    const types = VNFD_TYPES.replace('  - etsi_nfv_sol001_vnfd_types.yaml\n', '  - https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_vnfd_types.yaml\n');
    const contents = valueOf(await readChanged({ [TOP]: top, [TYPES]: types }));
    expect(contents.descriptorFiles).toEqual([TOP, TYPES, DF]);
    expect(contents.vnfd.vnfdId).toBe('b1bb0ce7-ebca-4fa7-95ed-4840d70a1177');
  });

  it('prefers the SOL 001 files a package ships, also when they import each other by forge URL', async () => {
    // The package's copy relaxes Vdu.Compute's description; a VDU without one reads only if the copy is used.
    const shippedVnfdTypes = SOL001_VNFD_TYPES.replace('  - etsi_nfv_sol001_common_types.yaml', '  - https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_common_types.yaml').replace(
      'description: { type: string, required: true }\n      boot_order',
      'description: { type: string, required: false }\n      boot_order',
    );
    const withoutDescription = VNFD_DF_SIMPLE.replace('        description: VDU1 compute node\n', '');
    const copies = {
      'Definitions/etsi_nfv_sol001_common_types.yaml': SOL001_COMMON_TYPES.replace('template_author: nfv-mano', 'template_author: Company'),
      'Definitions/etsi_nfv_sol001_vnfd_types.yaml': shippedVnfdTypes,
    };
    const contents = valueOf(await readChanged({ ...copies, [DF]: withoutDescription }));
    expect(contents.descriptorFiles).toEqual([TOP, 'Definitions/etsi_nfv_sol001_common_types.yaml', 'Definitions/etsi_nfv_sol001_vnfd_types.yaml', TYPES, DF]);
    expect(contents.vnfd.flavours[0]?.vdus[0]?.description).toBe('');
    expect(errorWithCode(await readChanged({ [DF]: withoutDescription }), 'required-property').message).toBe('description is required');
  });
});

describe('types and properties', () => {
  it('refuses a node template of an unknown type, at its type', async () => {
    const df = VNFD_DF_SIMPLE.replace('      type: tosca.nodes.nfv.Vdu.Compute\n', '      type: tosca.nodes.nfv.Vdu.Comptue\n');
    expect(errorWithCode(await readChanged({ [DF]: df }), 'unknown-node-type')).toEqual({
      code: 'unknown-node-type',
      message: 'node type tosca.nodes.nfv.Vdu.Comptue is not declared by any imported definition',
      ...at(DF, df, 'tosca.nodes.nfv.Vdu.Comptue'),
      path: VDU1,
    });
  });

  it('names a missing required property by its path inside the capability', async () => {
    const df = VNFD_DF_SIMPLE.replace('virtual_mem_size: 512 MiB', 'virtual_mem_oversubscription_policy: none');
    const error = errorWithCode(await readChanged({ [DF]: df }), 'required-property');
    const { line, column } = positionOf(df, 'virtual_memory:');
    expect(error).toEqual({ code: 'required-property', message: 'virtual_memory.virtual_mem_size is required', file: DF, line, column, path: `${VDU1}.capabilities.virtual_compute` });
    expect(formatDescriptorError(error)).toBe(`${DF}:${line}:${column} ${VDU1}.capabilities.virtual_compute: virtual_memory.virtual_mem_size is required`);
  });

  it('names a missing required property of a node template, and a missing capability', async () => {
    const df = VNFD_DF_SIMPLE.replace('          max_number_of_instances: 3\n', '').replace(
      /      capabilities:\n        virtual_compute:\n(.*\n){7}/,
      '',
    );
    const result = await readChanged({ [DF]: df });
    expect(errorWithCode(result, 'required-property')).toMatchObject({ message: 'vdu_profile.max_number_of_instances is required', path: VDU1, ...at(DF, df, 'vdu_profile:') });
    const capability = errorsOf(result).filter((error) => error.path === `${VDU1}.capabilities.virtual_compute`);
    expect(capability.map((error) => error.message)).toEqual(['virtual_memory is required', 'virtual_cpu is required']);
  });

  it('refuses a value of the wrong type, at the value', async () => {
    const df = VNFD_DF_SIMPLE.replace('num_virtual_cpu: 1', 'num_virtual_cpu: two');
    expect(errorWithCode(await readChanged({ [DF]: df }), 'property-type')).toEqual({
      code: 'property-type',
      message: 'virtual_cpu.num_virtual_cpu: expected an integer, found "two"',
      ...at(DF, df, 'two'),
      path: `${VDU1}.capabilities.virtual_compute`,
    });
  });

  it.each([
    ['virtual_mem_size: 512 MiB', 'virtual_mem_size: 512', 'virtual_memory.virtual_mem_size: expected a scalar-unit.size such as "4 MB"', 'property-type'],
    ['layer_protocols: [ ipv4 ]\n        order: 0', 'layer_protocols: ipv4\n        order: 0', 'layer_protocols: expected a list, found "ipv4"', 'property-type'],
    ['min_number_of_instances: 1', 'min_number_of_instances: -1', 'vdu_profile.min_number_of_instances: -1 is not greater than or equal to 0', 'property-constraint'],
    ['container_format: bare', 'container_format: zip', 'sw_image_data.container_format: "zip" is not one of ["aki","ami","ari","bare","docker","ova","ovf"]', 'property-constraint'],
    ['size_of_storage: 10 GiB', 'size_of_storage: -1 GiB', 'virtual_block_storage_data.size_of_storage: "-1 GiB" is not greater than or equal to 0 B', 'property-constraint'],
    ['scope: zone', 'scope: rack', 'scope: "rack" is not one of ["nfvi_node","zone","zone_group","nfvi_pop","network_link_and_node"]', 'property-constraint'],
  ])('checks %s against its definition', async (original, replacement, message, code) => {
    const error = errorWithCode(await readChanged({ [DF]: VNFD_DF_SIMPLE.replace(original, replacement) }), code);
    expect(error.message.startsWith(message)).toBe(true);
  });

  it('checks constraints the VNF-specific type adds (valid_values of its defaults)', async () => {
    const top = VNFD_TOP.replace('provider: Company', 'provider: Someone Else');
    expect(errorWithCode(await readChanged({ [TOP]: top }), 'property-constraint')).toEqual({
      code: 'property-constraint',
      message: 'provider: "Someone Else" is not one of ["Company"]',
      ...at(TOP, top, 'Someone Else'),
      path: 'topology_template.node_templates.VNF',
    });
  });

  it('warns about properties a type does not declare', async () => {
    const df = VNFD_DF_SIMPLE.replace('        name: VDU1\n', '        name: VDU1\n        colour: blue\n');
    const result = await readChanged({ [DF]: df });
    expect(result.ok && result.warnings).toEqual([
      { code: 'unknown-property', message: 'colour is not a property of this type; it is ignored', ...at(DF, df, 'blue'), path: VDU1 },
    ]);
  });

  it('reads a vendor type derived from Vdu.Compute as a VDU, with the defaults of its chain', async () => {
    const types = VNFD_TYPES.replace(
      'node_types:\n',
      `data_types:
  company.datatypes.Port:
    derived_from: integer
    constraints: [ in_range: [ 1024, 65535 ] ]
  company.datatypes.Profile:
    derived_from: tosca.datatypes.nfv.VduProfile
    properties:
      max_number_of_instances: { type: integer, default: 4 }
node_types:
  company.nodes.Worker:
    derived_from: tosca.nodes.nfv.Vdu.Compute
    properties:
      description: { type: string, default: A worker of the company }
      vdu_profile: { type: company.datatypes.Profile }
      metrics_port: { type: company.datatypes.Port, default: 9100 }
`,
    );
    const df = VNFD_DF_SIMPLE.replace('      type: tosca.nodes.nfv.Vdu.Compute\n', '      type: company.nodes.Worker\n')
      .replace('        description: VDU1 compute node\n', '')
      .replace('          max_number_of_instances: 3\n', '');
    const vdu = valueOf(await readChanged({ [TYPES]: types, [DF]: df })).vnfd.flavours[0]?.vdus[0];
    expect(vdu).toMatchObject({ vduId: 'VDU1', description: 'A worker of the company', minInstances: 1, maxInstances: 4 });
    const badPort = df.replace('        name: VDU1\n', '        name: VDU1\n        metrics_port: 80\n');
    expect(errorWithCode(await readChanged({ [TYPES]: types, [DF]: badPort }), 'property-constraint').message).toBe('metrics_port: 80 is not in the range [1024, 65535]');
  });

  it('refuses a derived_from chain that comes back to itself', async () => {
    const types = VNFD_TYPES + '  company.nodes.A:\n    derived_from: company.nodes.B\n  company.nodes.B:\n    derived_from: company.nodes.A\n';
    expect(errorWithCode(await readChanged({ [TYPES]: types }), 'type-cycle').message).toBe('the derived_from chain of company.nodes.A comes back to company.nodes.A');
  });

  it('warns about a type declared twice, and capabilities or requirements a type does not have', async () => {
    const df = VNFD_DF_SIMPLE.replace('topology_template:\n', 'node_types:\n  company.provider.VNF:\n    derived_from: tosca.nodes.nfv.VNF\n\ntopology_template:\n')
      .replace('      capabilities:\n        virtual_compute:\n', '      capabilities:\n        virtual_gpu:\n          properties: { count: 1 }\n        virtual_compute:\n')
      .replace('        - virtual_storage: VirtualStorage\n', '        - virtual_storage: VirtualStorage\n        - gpu: VirtualStorage\n');
    const result = await readChanged({ [DF]: df });
    expect(result.ok && result.warnings.map((warning) => [warning.code, warning.message, warning.file])).toEqual([
      ['duplicate-type', `company.provider.VNF is declared again (first in ${TYPES}); the first declaration is used`, DF],
      ['unknown-capability', 'tosca.nodes.nfv.Vdu.Compute has no capability virtual_gpu; it is ignored', DF],
      ['unknown-requirement', 'tosca.nodes.nfv.Vdu.Compute has no requirement gpu', DF],
    ]);
  });

  it('refuses a derived_from that names no declared type', async () => {
    const types = VNFD_TYPES.replace('derived_from: tosca.nodes.nfv.VNF', 'derived_from: tosca.nodes.nfv.VNFX');
    expect(errorWithCode(await readChanged({ [TYPES]: types }), 'unknown-type')).toMatchObject({
      message: 'company.provider.VNF is derived from tosca.nodes.nfv.VNFX, which no imported definition declares',
      file: TYPES,
      path: 'node_types["company.provider.VNF"]',
    });
  });
});

describe('get_input and substitution', () => {
  it('gives a flavour the properties of the VNF node it substitutes, and its own flavour_id', async () => {
    const df = VNFD_DF_SIMPLE.replace('        description: VDU1 compute node\n', '        description: { get_input: product_name }\n').replace(
      '        name: VDU1\n',
      '        name: { get_input: flavour_id }\n',
    );
    const vdu = valueOf(await readChanged({ [DF]: df })).vnfd.flavours[0]?.vdus[0];
    expect(vdu).toMatchObject({ name: 'simple', description: 'Sample VNF' });
  });

  it('uses input defaults, checks them against the input type, and refuses undeclared inputs', async () => {
    const df = VNFD_DF_SIMPLE.replace('    flavour_description:\n      type: string\n', '    flavour_description:\n      type: string\n    vcpus:\n      type: integer\n      default: 4\n').replace(
      'num_virtual_cpu: 1',
      'num_virtual_cpu: { get_input: vcpus }',
    );
    expect(valueOf(await readChanged({ [DF]: df })).vnfd.flavours[0]?.vdus[0]?.epa.vcpus).toBe(4);
    const wrong = df.replace('      default: 4', '      default: four');
    expect(errorWithCode(await readChanged({ [DF]: wrong }), 'property-type')).toMatchObject({ path: 'topology_template.inputs.vcpus', message: 'the value: expected an integer, found "four"' });
    const undeclared = df.replace('{ get_input: vcpus }', '{ get_input: cpus }');
    expect(errorWithCode(await readChanged({ [DF]: undeclared }), 'unknown-input')).toMatchObject({
      message: 'get_input names "cpus", which topology_template.inputs does not declare',
      path: `${VDU1}.capabilities.virtual_compute`,
      ...at(DF, undeclared, 'num_virtual_cpu: { get_input: cpus }'),
    });
  });

  it('refuses a flavour that substitutes another node type than the VNF', async () => {
    const types = VNFD_TYPES + '  company.provider.OtherVNF:\n    derived_from: tosca.nodes.nfv.VNF\n';
    const df = VNFD_DF_SIMPLE.replace('    node_type: company.provider.VNF', '    node_type: company.provider.OtherVNF');
    expect(errorWithCode(await readChanged({ [TYPES]: types, [DF]: df }), 'substitution-node-type')).toMatchObject({
      message: 'this flavour substitutes company.provider.OtherVNF, but the VNF node VNF is a company.provider.VNF',
      ...at(DF, df, 'company.provider.OtherVNF'),
    });
  });
});

describe('references', () => {
  it('refuses a requirement, a policy target or a mapping that names no node template', async () => {
    const df = VNFD_DF_SIMPLE.replace('        - virtual_link: internalVL1', '        - virtual_link: internalVL9')
      .replace('        targets: [ VDU1 ]\n        properties:\n          scope: zone', '        targets: [ VDU9 ]\n        properties:\n          scope: zone')
      .replace('[ VDU1_CP2, virtual_link ]', '[ VDU1_CP9, virtual_link ]');
    const unknown = errorsOf(await readChanged({ [DF]: df })).filter((error) => error.code === 'unknown-target');
    expect(unknown.map((error) => error.message)).toEqual([
      'requirement virtual_link points at internalVL9, which is not a node template of this topology',
      'policy policy_antiaffinity_vdu1 targets VDU9, which is neither a node template nor a group',
      'requirement mapping virtual_link_external names VDU1_CP9, which is not a node template',
    ]);
    expect(unknown[0]).toMatchObject(at(DF, df, 'internalVL9'));
  });

  it('refuses a requirement or policy target of the wrong node type', async () => {
    const df = VNFD_DF_SIMPLE.replace('        - virtual_binding: VDU1\n        - virtual_link: internalVL1', '        - virtual_binding: internalVL1\n        - virtual_link: internalVL1').replace(
      '            number_of_instances: 1\n        targets: [ VDU1 ]',
      '            number_of_instances: 1\n        targets: [ VDU1_CP1 ]',
    );
    const result = await readChanged({ [DF]: df });
    expect(errorWithCode(result, 'requirement-target-type').message).toBe(
      'requirement virtual_binding needs a tosca.nodes.nfv.Vdu.Compute, but internalVL1 is a tosca.nodes.nfv.VnfVirtualLink',
    );
    expect(errorWithCode(result, 'policy-target-type').message).toBe('VDU1_CP1 is a tosca.nodes.nfv.VduCp; tosca.policies.nfv.VduInitialDelta targets tosca.nodes.nfv.Vdu.Compute');
  });

  it('refuses an unknown policy type', async () => {
    const df = VNFD_DF_SIMPLE.replace('type: tosca.policies.nfv.AntiAffinityRule', 'type: tosca.policies.nfv.AntiAffinity');
    expect(errorWithCode(await readChanged({ [DF]: df }), 'unknown-type')).toMatchObject({
      message: 'policy policy_antiaffinity_vdu1 has the undeclared type tosca.policies.nfv.AntiAffinity',
      ...at(DF, df, 'tosca.policies.nfv.AntiAffinity'),
    });
  });
});

function errorsOf(result: Awaited<ReturnType<typeof readVnfPackage>>): DescriptorError[] {
  return result.ok ? [] : result.errors;
}
