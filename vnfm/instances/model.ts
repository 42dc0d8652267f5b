import type { CollectionSpec, Entity } from '../../platform/index.js';

/** SOL 003 clause 5.5.2.2 VnfInstance, as stored (the view adds `_links`). */
export interface VnfInstance extends Entity {
  vnfInstanceName: string | undefined;
  vnfInstanceDescription: string | undefined;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  /** The onboarded package the VNFD came from (marked in use while this instance exists). */
  vnfPkgId: string;
  instantiationState: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  metadata: Record<string, unknown>;
  extensions: Record<string, unknown>;
  createdAt: string;
}

export const VNF_INSTANCES: CollectionSpec = { name: 'vnfm_vnf_instances', indexes: ['vnfdId', 'instantiationState'] };
export const VNF_INSTANCES_PATH = '/vnflcm/v1/vnf_instances';

/** Attributes a SOL 013 filter may name (first path segment). */
export const VNF_INSTANCE_ATTRIBUTES = new Set([
  'id',
  'vnfInstanceName',
  'vnfInstanceDescription',
  'vnfdId',
  'vnfProvider',
  'vnfProductName',
  'vnfSoftwareVersion',
  'vnfdVersion',
  'instantiationState',
  'metadata',
  'extensions',
]);

export interface VnfInstanceView {
  id: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  instantiationState: VnfInstance['instantiationState'];
  metadata: Record<string, unknown>;
  extensions: Record<string, unknown>;
  _links: Record<string, { href: string }>;
}

/** SOL 003 clause 5.4.2.3.2: the complex attributes a list leaves out by default. */
export const VNF_INSTANCE_SHAPE = { defaultExcluded: ['instantiatedVnfInfo', 'metadata', 'extensions', 'vnfConfigurableProperties'], mandatory: ['_links'] } as const;

export function vnfInstanceView(instance: VnfInstance, apiRoot: string): VnfInstanceView {
  const self = `${apiRoot}${VNF_INSTANCES_PATH}/${instance.id}`;
  const operations = instance.instantiationState === 'NOT_INSTANTIATED' ? ['instantiate'] : ['terminate', 'scale', 'scale_to_level', 'change_flavour', 'heal', 'operate', 'change_ext_conn'];
  return {
    id: instance.id,
    ...(instance.vnfInstanceName === undefined ? {} : { vnfInstanceName: instance.vnfInstanceName }),
    ...(instance.vnfInstanceDescription === undefined ? {} : { vnfInstanceDescription: instance.vnfInstanceDescription }),
    vnfdId: instance.vnfdId,
    vnfProvider: instance.vnfProvider,
    vnfProductName: instance.vnfProductName,
    vnfSoftwareVersion: instance.vnfSoftwareVersion,
    vnfdVersion: instance.vnfdVersion,
    instantiationState: instance.instantiationState,
    metadata: instance.metadata,
    extensions: instance.extensions,
    _links: { self: { href: self }, ...Object.fromEntries(operations.map((operation) => [operation, { href: `${self}/${operation}` }])) },
  };
}
