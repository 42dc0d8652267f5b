/**
 * Bodies of the VIM administration API. Every schema is closed (`additionalProperties: false`) so that a
 * misspelt attribute is refused with its pointer rather than ignored.
 */
import type { VduEpa } from '../../descriptors/index.js';
import type { HostInventory } from '../inventory/model.js';

const NAME = { type: 'string', minLength: 1, maxLength: 255 } as const;
const ID = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;
const WHOLE_ABOVE_ZERO = { type: 'integer', minimum: 1 } as const;
/** As OVS writes connection targets. */
const OVSDB_ENDPOINT = { type: 'string', maxLength: 1024, pattern: '^(tcp:(\\[[0-9A-Fa-f:]+\\]|[^:\\[\\]]+):[0-9]{1,5}|unix:/.+)$' } as const;
const NETDEV = { type: 'string', minLength: 1, maxLength: 15, pattern: '^[^/\\s:]+$' } as const;
const MAC = { type: 'string', pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' } as const;

export const regionRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { id: ID, name: NAME },
} as const;

export const zoneRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'regionId'],
  properties: { id: ID, name: NAME, regionId: ID },
} as const;

export interface RegionRequest {
  id?: string;
  name: string;
}

export interface ZoneRequest extends RegionRequest {
  regionId: string;
}

/** What discovery reports; what our claims hold is the VIM's to say, so those counts must come in as 0. */
const inventorySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cells', 'physicalFunctions', 'ovsDpdk'],
  properties: {
    ovsDpdk: { type: 'boolean' },
    cells: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'cpus', 'memory', 'hugepages'],
        properties: {
          id: COUNT,
          cpus: {
            type: 'array',
            maxItems: 4096,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['id', 'core', 'socket', 'siblings', 'role'],
              properties: {
                id: COUNT,
                core: COUNT,
                socket: COUNT,
                siblings: { type: 'array', minItems: 1, maxItems: 16, items: COUNT },
                role: { enum: ['guest', 'host', 'pmd'] },
              },
            },
          },
          memory: {
            type: 'object',
            additionalProperties: false,
            required: ['totalMiB', 'freeMiB', 'reservedForHostMiB', 'reservedByUsMiB'],
            properties: { totalMiB: COUNT, freeMiB: COUNT, reservedForHostMiB: COUNT, reservedByUsMiB: { const: 0 } },
          },
          hugepages: {
            type: 'array',
            maxItems: 8,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['sizeKiB', 'total', 'free', 'reservedForHost', 'reservedByUs'],
              properties: { sizeKiB: WHOLE_ABOVE_ZERO, total: COUNT, free: COUNT, reservedForHost: COUNT, reservedByUs: { const: 0 } },
            },
          },
        },
      },
    },
    physicalFunctions: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address', 'netdev', 'totalVfs', 'configuredVfs', 'vfs'],
        properties: {
          address: { type: 'string', minLength: 1, maxLength: 64 },
          netdev: NETDEV,
          numaNode: COUNT,
          physicalNetwork: NAME,
          totalVfs: COUNT,
          configuredVfs: COUNT,
          vfs: {
            type: 'array',
            maxItems: 1024,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['index', 'address'],
              properties: { index: COUNT, address: { type: 'string', minLength: 1, maxLength: 64 }, mac: MAC, vlan: { type: 'integer', minimum: 0, maximum: 4095 } },
            },
          },
        },
      },
    },
  },
} as const;

/**
 * A host registered by hand or by its agent. With `sysfsRoot` the orchestrator discovers the inventory from
 * that tree on its own machine (labs, tests); the agent sends the `inventory` it discovered on the host.
 */
export const hostRegistrationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'libvirtUri', 'ovsdb', 'integrationBridge'],
  properties: {
    name: NAME,
    zoneId: ID,
    libvirtUri: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[a-z][a-z0-9+.-]*:' },
    ovsdb: OVSDB_ENDPOINT,
    integrationBridge: NETDEV,
    tunnelAddress: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
    sysfsRoot: { type: 'string', minLength: 1, maxLength: 4096 },
    physicalNetworks: { type: 'object', maxProperties: 256, propertyNames: NETDEV, additionalProperties: NAME },
    inventory: inventorySchema,
  },
  not: { required: ['sysfsRoot', 'inventory'] },
} as const;

export interface HostRegistrationRequest {
  name: string;
  zoneId?: string;
  libvirtUri: string;
  ovsdb: string;
  integrationBridge: string;
  /** The address this host's VXLAN tunnels start from (Neutron's `local_ip`): chains and networks spanning hosts. */
  tunnelAddress?: string;
  sysfsRoot?: string;
  physicalNetworks?: Record<string, string>;
  inventory?: HostInventory;
}

/** One VF setting to apply on a host: `ip link set PF vf N mac M vlan V spoofchk on|off`. */
export const vfSettingRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['pf', 'vf'],
  minProperties: 3,
  properties: {
    pf: NETDEV,
    vf: COUNT,
    mac: MAC,
    vlan: { type: 'integer', minimum: 0, maximum: 4095 },
    spoofchk: { type: 'boolean' },
  },
} as const;

export interface VfSetting {
  pf: string;
  vf: number;
  mac?: string;
  vlan?: number;
  spoofchk?: boolean;
}

export const heartbeatSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** Sent with the first heartbeat after the agent starts: the host may have changed meanwhile. */
    inventory: inventorySchema,
    vfResults: {
      type: 'array',
      maxItems: 1024,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'applied'],
        properties: { id: ID, applied: { type: 'boolean' }, message: { type: 'string', maxLength: 4096 } },
      },
    },
  },
} as const;

export interface VfResult {
  id: string;
  applied: boolean;
  message?: string;
}

export interface Heartbeat {
  inventory?: HostInventory;
  vfResults?: VfResult[];
}

const epaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['vcpus', 'memoryMiB', 'cpuPolicy', 'interfaces'],
  properties: {
    vcpus: { type: 'integer', minimum: 1, maximum: 1024 },
    memoryMiB: { type: 'integer', minimum: 1, maximum: 64 * 1024 * 1024 },
    cpuPolicy: { enum: ['shared', 'dedicated'] },
    threadPolicy: { enum: ['prefer', 'isolate', 'require'] },
    emulatorThreadPolicy: { enum: ['share', 'isolate'] },
    pageSize: { enum: ['small', 'large', 'any', '2MB', '1GB'] },
    numa: {
      type: 'object',
      additionalProperties: false,
      required: ['nodes'],
      properties: {
        nodes: {
          type: 'array',
          minItems: 1,
          maxItems: 64,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id'],
            properties: { id: COUNT, vcpus: { type: 'array', maxItems: 1024, items: COUNT }, memoryMiB: WHOLE_ABOVE_ZERO },
          },
        },
      },
    },
    interfaces: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cpId', 'kind'],
        properties: {
          cpId: NAME,
          order: COUNT,
          kind: { enum: ['virtio', 'sriov-vf', 'pci-passthrough', 'vhost-user'] },
          physicalNetwork: NAME,
          numaAffinity: { enum: ['required', 'socket', 'preferred', 'legacy'] },
        },
      },
    },
  },
} as const;

/** Where a VNFC with this EPA would go, among the zones (or the region) given. */
export const dryRunSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['epa'],
  properties: {
    epa: epaSchema,
    zones: { type: 'array', maxItems: 256, items: ID },
    regionId: ID,
  },
} as const;

/** JSON leaves out what a VduEpa holds as `undefined`: optional on the wire. */
export type EpaRequest = Partial<VduEpa> & Pick<VduEpa, 'vcpus' | 'memoryMiB' | 'cpuPolicy'> & {
  interfaces: Array<Partial<VduEpa['interfaces'][number]> & Pick<VduEpa['interfaces'][number], 'cpId' | 'kind'>>;
};

export interface DryRunRequest {
  epa: EpaRequest;
  zones?: string[];
  regionId?: string;
}

export const idParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: ID },
} as const;
