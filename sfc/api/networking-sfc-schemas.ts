import { LB_FIELDS } from './model.js';

/** Bodies are closed: an attribute networking-sfc does not define (or we cannot enforce) is refused with a pointer. */

const nullableText = { type: ['string', 'null'], maxLength: 255 } as const;
const owner = { type: 'string', minLength: 1, maxLength: 255 } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const nullableUuid = { type: ['string', 'null'], format: 'uuid' } as const;
const uuidList = { type: 'array', items: uuid } as const;
const port = { type: ['integer', 'null'], minimum: 0, maximum: 65535 } as const;
const prefix = { type: ['string', 'null'], minLength: 1 } as const;

function envelope(member: string, properties: object, required: readonly string[] = []) {
  return {
    type: 'object',
    required: [member],
    additionalProperties: false,
    properties: { [member]: { type: 'object', additionalProperties: false, required, properties } },
  } as const;
}

const named = { name: nullableText, description: nullableText } as const;
const owned = { tenant_id: owner, project_id: owner } as const;

export const flowClassifierCreationSchema = envelope('flow_classifier', {
  ...named,
  ...owned,
  ethertype: { type: ['string', 'null'], description: 'IPv4 (default) or IPv6, in any letter case.' },
  protocol: { type: ['string', 'integer', 'null'], description: 'tcp, udp, icmp, icmpv6, sctp, or an IANA protocol number (0-255).' },
  source_port_range_min: port,
  source_port_range_max: port,
  destination_port_range_min: port,
  destination_port_range_max: port,
  source_ip_prefix: prefix,
  destination_ip_prefix: prefix,
  logical_source_port: nullableUuid,
  logical_destination_port: nullableUuid,
  l7_parameters: { type: ['object', 'null'], description: 'Must be empty: no L7 parameter can be enforced by the flow pipeline.' },
});
export const flowClassifierUpdateSchema = envelope('flow_classifier', named);

export const portPairCreationSchema = envelope(
  'port_pair',
  {
    ...named,
    ...owned,
    ingress: uuid,
    egress: uuid,
    service_function_parameters: {
      type: ['object', 'null'],
      additionalProperties: false,
      description: 'correlation: null (default) or mpls (nsh is refused: no NSH pipeline); weight: integer >= 1 (default 1).',
      // The OpenStack client sends key=value parameters as text: networking-sfc converts them, so do we.
      properties: { correlation: { type: ['string', 'null'] }, weight: { type: ['integer', 'string'], minimum: 1, pattern: '^[0-9]+$' } },
    },
  },
  ['ingress', 'egress'],
);
export const portPairUpdateSchema = envelope('port_pair', named);

const nTuple = { type: 'object', maxProperties: 0 } as const;
export const portPairGroupCreationSchema = envelope('port_pair_group', {
  ...named,
  ...owned,
  port_pairs: { type: ['array', 'null'], items: uuid },
  tap_enabled: { type: 'boolean', const: false, description: 'Tap port pair groups are not supported.' },
  port_pair_group_parameters: {
    type: ['object', 'null'],
    additionalProperties: false,
    description: 'lb_fields: fields the group hashes on; ppg_n_tuple_mapping must be empty (n-tuple rewriting cannot be enforced).',
    properties: {
      lb_fields: { type: 'array', items: { type: 'string', enum: LB_FIELDS } },
      ppg_n_tuple_mapping: {
        type: 'object',
        additionalProperties: false,
        properties: { ingress_n_tuple: nTuple, egress_n_tuple: nTuple },
      },
    },
  },
});
export const portPairGroupUpdateSchema = envelope('port_pair_group', { ...named, port_pairs: { type: ['array', 'null'], items: uuid } });

export const portChainCreationSchema = envelope('port_chain', {
  ...named,
  ...owned,
  chain_id: { type: 'integer', minimum: 0, description: '1..4095, or 0/absent to allocate the lowest free id: a larger id cannot be encoded in an MPLS label.' },
  port_pair_groups: uuidList,
  flow_classifiers: { type: ['array', 'null'], items: uuid },
  chain_parameters: {
    type: ['object', 'null'],
    additionalProperties: false,
    description: 'correlation: mpls (default; nsh is refused); symmetric: boolean (default false).',
    properties: { correlation: { type: 'string' }, symmetric: { enum: [true, false, 'true', 'false', 'True', 'False'] } },
  },
});
export const portChainUpdateSchema = envelope('port_chain', { ...named, port_pair_groups: uuidList, flow_classifiers: { type: ['array', 'null'], items: uuid } });

export const serviceGraphCreationSchema = envelope(
  'service_graph',
  { ...named, ...owned, port_chains: { type: 'object', minProperties: 1, additionalProperties: uuidList, description: 'Source port chain id to the port chains its traffic branches into.' } },
  ['port_chains'],
);
export const serviceGraphUpdateSchema = envelope('service_graph', named);

