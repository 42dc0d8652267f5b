/**
 * Which SFC resources name a Neutron port: the VIM refuses to delete a port that a flow classifier, a port
 * pair or a Traffic Steering chain still uses (Neutron's `PortInUse`), so no chain is left pointing at nothing.
 */
import type { Store } from '../../platform/index.js';
import type { PortUsers } from '../../vim/networks/index.js';
import { sfcRepositories } from './repositories.js';

export function sfcPortUsers(store: Store): PortUsers {
  const repositories = sfcRepositories(store);
  return {
    async usersOf(portId: string): Promise<string[]> {
      const users: string[] = [];
      for (const { value } of await repositories.flowClassifiers.query()) {
        if (value.logical_source_port === portId || value.logical_destination_port === portId) users.push(`Flow Classifier ${value.id}`);
      }
      for (const { value } of await repositories.portPairs.query()) {
        if (value.ingress === portId || value.egress === portId) users.push(`Port Pair ${value.id}`);
      }
      for (const { value } of await repositories.steeringPortChains.query()) {
        const named = value.hops.some((hop) => hop.instances.some((instance) => [instance.ingress, instance.ingressBackup, instance.egress, instance.egressBackup].includes(portId)));
        if (named) users.push(`Port Chain ${value.id}`);
      }
      return users;
    },
  };
}
