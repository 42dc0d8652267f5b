/**
 * Chains the NFVO builds from an NS's forwarding graphs, kept as Traffic Steering resources (classifiers and
 * a port chain with primary|backup ports): operators see and inspect them through `/v2.0/ts/...` like any
 * other. Every resource is created under an id derived from the caller's, so building a chain again after a
 * crash finds what the first attempt made, and removing it accepts that parts are already gone.
 */
import { derivedId, ProblemError, type Principal } from '../../platform/index.js';
import type { PortDirectory } from '../../vim/networks/index.js';
import type { SteeringPortChain } from './model.js';
import type { SfcRepositories } from './repositories.js';
import { TrafficSteering } from './traffic-steering.js';

export interface SteeredClassifier {
  protocol?: number;
  /** `MIN:MAX` destination ports. */
  portRange?: string;
  sourcePrefix?: string;
  destinationPrefix?: string;
}

export interface SteeredHop {
  ingress: string;
  egress: string;
  ingressBackup?: string;
  egressBackup?: string;
}

export interface SteeredChainSpec {
  tenantId: string;
  name: string;
  classifiers: readonly SteeredClassifier[];
  hops: readonly SteeredHop[];
}

export class SteeredChains {
  private readonly steering: TrafficSteering;

  /**
   * `changed` asks the flow programmer for a pass; `programmed` runs one and answers the switches it could
   * not program, so that a chain the switches refuse fails the operation that built it.
   */
  constructor(
    private readonly repositories: SfcRepositories,
    ports: PortDirectory,
    private readonly changed: () => void,
    private readonly programmed: () => Promise<Array<{ hostId: string; problem: string }>> = async () => [],
  ) {
    this.steering = new TrafficSteering(repositories, ports);
  }

  /** Creates the chain (or finds it) under `id`; its classifiers get ids derived from it. */
  async ensure(id: string, spec: SteeredChainSpec): Promise<SteeringPortChain> {
    const principal: Principal = { tenantId: spec.tenantId, isAdmin: true };
    const classifierIds: string[] = [];
    for (const [index, classifier] of spec.classifiers.entries()) {
      const created = await this.steering.createClassifier(
        principal,
        {
          tenant_id: spec.tenantId,
          name: `${spec.name}-${index}`,
          ...(classifier.protocol === undefined ? {} : { protocol: classifier.protocol }),
          ...(classifier.portRange === undefined ? {} : { port_range: classifier.portRange }),
          ...(classifier.sourcePrefix === undefined ? {} : { src_ip: classifier.sourcePrefix }),
          ...(classifier.destinationPrefix === undefined ? {} : { dst_ip: classifier.destinationPrefix }),
        },
        { id: derivedId(id, 'classifier', String(index)) },
      );
      classifierIds.push(created.id);
    }
    const ports: Record<string, string[]> = {};
    for (const hop of spec.hops) {
      const ingress = hop.ingressBackup === undefined ? hop.ingress : `${hop.ingress}|${hop.ingressBackup}`;
      const egress = hop.egressBackup === undefined ? hop.egress : `${hop.egress}|${hop.egressBackup}`;
      ports[ingress] = [egress];
    }
    const chain = await this.steering.createPortChain(principal, { tenant_id: spec.tenantId, name: spec.name, classifiers: classifierIds, ports }, { id });
    const failures = await this.programmed();
    if (failures.length > 0) {
      throw new ProblemError(502, `chain ${spec.name} could not be programmed: ${failures.map((failure) => `the switch of host ${failure.hostId} answered ${failure.problem}`).join('; ')}`, {
        title: 'Switch refused the chain',
        extensions: { portChainId: id, switches: failures },
      });
    }
    return chain;
  }

  /** Removes the chain and its classifiers, whatever of them is left. */
  async remove(id: string): Promise<void> {
    const chain = await this.repositories.steeringPortChains.get(id);
    const classifierIds = chain?.value.classifiers ?? [];
    if (chain) await this.steering.removePortChain(chain);
    for (const classifierId of classifierIds) {
      const classifier = await this.repositories.steeringClassifiers.get(classifierId);
      if (classifier) await this.steering.removeClassifier(classifier);
    }
    // Classifiers made by an attempt that died before its chain existed.
    for (let index = 0; index < 64; index += 1) {
      const orphan = await this.repositories.steeringClassifiers.get(derivedId(id, 'classifier', String(index)));
      if (!orphan) break;
      await this.steering.removeClassifier(orphan);
    }
    this.changed();
  }
}
