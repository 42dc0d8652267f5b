import type { ChainHop, ChainIntent } from '../../../sfc/index.js';

/** The lab's addresses: EXT, the VM, and the ports of the functions the flow tests chain between them. */
export const ADDRESSES = {
  ext: { mac: 'fa:16:3e:00:00:01', ip: '198.18.10.1' },
  vm: { mac: 'fa:16:3e:00:00:02', ip: '198.18.10.2' },
  fwIn: { mac: 'fa:16:3e:00:01:01', ip: '198.18.10.11' },
  fwOut: { mac: 'fa:16:3e:00:01:02', ip: '198.18.10.12' },
  fwBackupIn: { mac: 'fa:16:3e:00:01:11', ip: '198.18.10.13' },
  fwBackupOut: { mac: 'fa:16:3e:00:01:12', ip: '198.18.10.14' },
  lbIn: { mac: 'fa:16:3e:00:02:01', ip: '198.18.10.21' },
  lbOut: { mac: 'fa:16:3e:00:02:02', ip: '198.18.10.22' },
  fw2In: { mac: 'fa:16:3e:00:03:01', ip: '198.18.10.31' },
  fw2Out: { mac: 'fa:16:3e:00:03:02', ip: '198.18.10.32' },
} as const;

export type LabRole = keyof typeof ADDRESSES;

/** HTTP (TCP 80) from anywhere to the VM through `hops`: the seed's web chain as the compiler takes it. */
export function webChainIntent(hops: ChainHop[], overrides: Partial<ChainIntent> = {}): ChainIntent {
  return {
    id: 'chain-web',
    tenantId: 'tenant',
    api: 'traffic-steering',
    chainId: 7,
    correlation: 'none',
    symmetric: false,
    classifiers: [
      {
        id: 'http',
        ethertype: 'IPv4',
        protocol: 6,
        sourcePrefix: undefined,
        destinationPrefix: `${ADDRESSES.vm.ip}/32`,
        sourcePorts: [],
        destinationPorts: [{ min: 80, max: 80 }],
        logicalSourcePort: undefined,
        logicalDestinationPort: undefined,
      },
    ],
    hops,
    ...overrides,
  };
}
