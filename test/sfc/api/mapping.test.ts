import { describe, expect, it } from '@jest/globals';
import type { FlowClassifier, PortChain, PortPair, PortPairGroup } from '../../../sfc/api/index.js';
import { classifiersOverlap } from '../../../sfc/api/index.js';
import { parseIpPrefix, prefixesOverlap } from '../../../sfc/api/prefixes.js';
import { chainIntents, parsedPortRanges, type ChainResources } from '../../../sfc/chains/mapping.js';

const classifier = (id: string, attributes: Partial<FlowClassifier> = {}): FlowClassifier => ({
  id,
  tenantId: 't',
  name: '',
  description: '',
  ethertype: 'IPv4',
  protocol: null,
  source_port_range_min: null,
  source_port_range_max: null,
  destination_port_range_min: null,
  destination_port_range_max: null,
  source_ip_prefix: null,
  destination_ip_prefix: null,
  logical_source_port: null,
  logical_destination_port: null,
  ...attributes,
});
const pair = (id: string, weight = 1): PortPair => ({ id, tenantId: 't', name: '', description: '', ingress: `${id}-in`, egress: `${id}-out`, service_function_parameters: { correlation: null, weight } });
const group = (id: string, pairs: string[], lbFields: PortPairGroup['port_pair_group_parameters']['lb_fields'] = []): PortPairGroup => ({
  id,
  tenantId: 't',
  name: '',
  description: '',
  port_pairs: pairs,
  port_pair_group_parameters: { lb_fields: lbFields },
});

const empty: ChainResources = { flowClassifiers: [], portPairs: [], portPairGroups: [], portChains: [], steeringClassifiers: [], steeringPortChains: [] };

describe('networking-sfc to ChainIntent', () => {
  it('maps classifiers, hops in port pair group order, weights and lb_fields', () => {
    const chain: PortChain = {
      id: 'pc',
      tenantId: 't',
      name: '',
      description: '',
      chain_id: 7,
      port_pair_groups: ['lb', 'fw'],
      flow_classifiers: ['web'],
      chain_parameters: { correlation: 'mpls', symmetric: true },
    };
    const resources: ChainResources = {
      ...empty,
      flowClassifiers: [classifier('web', { protocol: 'tcp', destination_port_range_min: 80, destination_port_range_max: 443, source_port_range_min: 1024, source_ip_prefix: '10.0.0.0/8', logical_source_port: 'src' })],
      portPairs: [pair('fw1'), pair('lb1', 3), pair('lb2')],
      portPairGroups: [group('fw', ['fw1']), group('lb', ['lb1', 'lb2'], ['ip_src', 'tcp_dst', 'udp_dst'])],
      portChains: [chain],
    };
    expect(chainIntents(resources)).toEqual([
      {
        id: 'pc',
        tenantId: 't',
        api: 'networking-sfc',
        chainId: 7,
        correlation: 'mpls',
        symmetric: true,
        classifiers: [
          {
            id: 'web',
            ethertype: 'IPv4',
            protocol: 6,
            sourcePrefix: '10.0.0.0/8',
            destinationPrefix: undefined,
            sourcePorts: [{ min: 1024, max: 65535 }],
            destinationPorts: [{ min: 80, max: 443 }],
            logicalSourcePort: 'src',
            logicalDestinationPort: undefined,
          },
        ],
        hops: [
          {
            id: 'lb',
            loadBalanceFields: ['ip_src', 'tp_dst'],
            instances: [
              { id: 'lb1', ingressPort: 'lb1-in', egressPort: 'lb1-out', weight: 3, mpls: false, backup: undefined },
              { id: 'lb2', ingressPort: 'lb2-in', egressPort: 'lb2-out', weight: 1, mpls: false, backup: undefined },
            ],
          },
          { id: 'fw', loadBalanceFields: [], instances: [{ id: 'fw1', ingressPort: 'fw1-in', egressPort: 'fw1-out', weight: 1, mpls: false, backup: undefined }] },
        ],
      },
    ]);
  });

  it('maps protocol names and numbers to IANA numbers (icmp in IPv6 is ICMPv6), and orders chains by chain id', () => {
    const chain = (id: string, chainId: number, fc: string): PortChain => ({
      id, tenantId: 't', name: '', description: '', chain_id: chainId, port_pair_groups: [], flow_classifiers: [fc], chain_parameters: { correlation: 'mpls', symmetric: false },
    });
    const intents = chainIntents({
      ...empty,
      flowClassifiers: [classifier('a', { protocol: '47' }), classifier('b', { protocol: 'icmp', ethertype: 'IPv6' })],
      portChains: [chain('second', 9, 'a'), chain('first', 2, 'b')],
    });
    expect(intents.map(({ id }) => id)).toEqual(['first', 'second']);
    expect(intents.map(({ classifiers }) => classifiers[0]?.protocol)).toEqual([58, 47]);
  });

  it('parses Traffic Steering port ranges', () => {
    expect(parsedPortRanges('800:900,1200:1300,53')).toEqual([{ min: 800, max: 900 }, { min: 1200, max: 1300 }, { min: 53, max: 53 }]);
    expect(parsedPortRanges(null)).toEqual([]);
  });
});

describe('classifier overlap (networking-sfc conflict rule)', () => {
  it.each([
    [{}, {}, true],
    [{ ethertype: 'IPv6' as const }, {}, false],
    [{ protocol: 'tcp' }, { protocol: 'udp' }, false],
    [{ protocol: 'tcp' }, {}, true],
    [{ source_ip_prefix: '10.0.0.0/8' }, { source_ip_prefix: '10.1.0.0/16' }, true],
    [{ source_ip_prefix: '10.0.0.0/8' }, { source_ip_prefix: '11.0.0.0/8' }, false],
    [{ destination_port_range_min: 80, destination_port_range_max: 90 }, { destination_port_range_min: 91 }, false],
    [{ destination_port_range_min: 80, destination_port_range_max: 90 }, { destination_port_range_max: 80 }, true],
    [{ logical_source_port: 'p1' }, { logical_source_port: 'p2' }, false],
    [{ logical_source_port: 'p1' }, {}, true],
  ])('%j and %j overlap: %s', (first, second, overlaps) => {
    expect(classifiersOverlap(classifier('x', first), classifier('y', second))).toBe(overlaps);
    expect(classifiersOverlap(classifier('y', second), classifier('x', first))).toBe(overlaps);
  });
});

describe('IP prefixes', () => {
  it('parses IPv4 and IPv6 prefixes and refuses host bits', () => {
    expect(parseIpPrefix('10.0.0.0/8')).toEqual({ version: 4, network: 10n << 24n, length: 8 });
    expect(parseIpPrefix('1.1.1.1')).toMatchObject({ version: 4, length: 32 });
    expect(parseIpPrefix('2001:db8::/32')).toMatchObject({ version: 6, length: 32 });
    expect(parseIpPrefix('::ffff:10.0.0.0/104')).toMatchObject({ version: 6, length: 104 });
    expect(parseIpPrefix('10.0.0.1/8')).toContain('host bits');
    expect(parseIpPrefix('2001:db8::1/64')).toContain('host bits');
    expect(parseIpPrefix('10.0.0.0/33')).toContain('above 32');
    expect(parseIpPrefix('10.0.0.0/x')).toContain('prefix length');
    expect(parseIpPrefix('nonsense')).toContain('not an IPv4 or IPv6');
  });

  it('overlaps when one contains the other', () => {
    const prefix = (text: string) => parseIpPrefix(text) as Exclude<ReturnType<typeof parseIpPrefix>, string>;
    expect(prefixesOverlap(prefix('2001:db8::/32'), prefix('2001:db8:1::/48'))).toBe(true);
    expect(prefixesOverlap(prefix('2001:db8::/32'), prefix('2001:db9::/32'))).toBe(false);
    expect(prefixesOverlap(prefix('10.0.0.0/8'), prefix('2001:db8::/32'))).toBe(false);
    expect(prefixesOverlap(undefined, prefix('10.0.0.0/8'))).toBe(true);
  });
});
