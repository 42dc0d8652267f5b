import { VNIC_TYPES } from './model.js';

/** Bodies are closed: an attribute this VIM does not know is refused with a pointer at it, not ignored. */
const text = { type: 'string', maxLength: 255 } as const;
const owner = { type: 'string', minLength: 1, maxLength: 255 } as const;

const networkUpdatable = {
  name: text,
  description: text,
  admin_state_up: { type: 'boolean' },
  shared: { type: 'boolean' },
  mtu: { type: 'integer', minimum: 68, maximum: 9216 },
  port_security_enabled: { type: 'boolean' },
} as const;

export const networkCreationSchema = {
  type: 'object',
  required: ['network'],
  additionalProperties: false,
  properties: {
    network: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...networkUpdatable,
        tenant_id: owner,
        project_id: owner,
        'provider:network_type': { type: 'string', minLength: 1 },
        'provider:physical_network': { type: 'string', minLength: 1, maxLength: 64 },
        'provider:segmentation_id': { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

export const networkUpdateSchema = {
  type: 'object',
  required: ['network'],
  additionalProperties: false,
  properties: { network: { type: 'object', additionalProperties: false, properties: networkUpdatable } },
} as const;

const portUpdatable = {
  name: text,
  description: text,
  admin_state_up: { type: 'boolean' },
  mac_address: { type: 'string' },
  fixed_ips: {
    type: 'array',
    items: {
      type: 'object',
      required: ['ip_address'],
      additionalProperties: false,
      properties: { ip_address: { type: 'string' }, subnet_id: { type: 'string' } },
    },
  },
  device_id: text,
  device_owner: text,
  'binding:host_id': text,
  'binding:vnic_type': { type: 'string', enum: VNIC_TYPES },
  'binding:profile': { type: 'object' },
  // No security group API yet: only the empty list is meaningful.
  security_groups: { type: 'array', maxItems: 0 },
  port_security_enabled: { type: 'boolean' },
} as const;

export const portCreationSchema = {
  type: 'object',
  required: ['port'],
  additionalProperties: false,
  properties: {
    port: {
      type: 'object',
      required: ['network_id'],
      additionalProperties: false,
      properties: { ...portUpdatable, network_id: { type: 'string', minLength: 1 }, tenant_id: owner, project_id: owner },
    },
  },
} as const;

export const portUpdateSchema = {
  type: 'object',
  required: ['port'],
  additionalProperties: false,
  properties: { port: { type: 'object', additionalProperties: false, properties: portUpdatable } },
} as const;

/** Attributes a list may be filtered on (`?name=a&name=b`: either). */
export const NETWORK_FILTERS = [
  'id', 'name', 'description', 'tenant_id', 'project_id', 'admin_state_up', 'status', 'shared', 'mtu', 'port_security_enabled',
  'provider:network_type', 'provider:physical_network', 'provider:segmentation_id',
] as const;

export const PORT_FILTERS = [
  'id', 'name', 'description', 'network_id', 'tenant_id', 'project_id', 'admin_state_up', 'status', 'mac_address', 'fixed_ips',
  'device_id', 'device_owner', 'binding:host_id', 'binding:vif_type', 'binding:vnic_type', 'port_security_enabled',
] as const;

const repeatable = { type: 'array', items: { type: 'string' } } as const;

export function listQuerySchemaOf(filters: readonly string[]) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries([...filters, 'fields'].map((attribute) => [attribute, repeatable])),
  } as const;
}

export const showQuerySchema = { type: 'object', additionalProperties: false, properties: { fields: repeatable } } as const;

export const idParamsSchema = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;
