/**
 * Chains the NFVO builds from an NS's forwarding graphs, kept as Traffic Steering resources (classifiers and
 * a port chain with primary|backup ports and load-balanced instances): operators see and inspect them through
 * `/v2.0/ts/...` like any other. Every resource is created under an id derived from the caller's, so building
 * a chain again after a crash finds what the first attempt made, and removing it accepts that parts are
 * already gone. Ensuring a chain that exists with other service function instances (its VNFs scaled) gives it
 * the new ones.
 */
import { derivedId, ProblemError, type Principal, type Write } from '../../platform/index.js';
import type { PortDirectory } from '../../vim/networks/index.js';
import type { SteeringClassifier, SteeringHop, SteeringPortChain } from './model.js';
import type { SfcRepositories } from './repositories.js';
import { portChainNotFound, portsEntry, TrafficSteering } from './traffic-steering.js';

export interface SteeredClassifier {
  protocol?: number;
  /** `MIN:MAX` destination ports. */
  portRange?: string;
  sourcePrefix?: string;
  destinationPrefix?: string;
}

/** One instance of a service function: its ports, each with the standby that may take over. */
export interface SteeredInstance {
  ingress: string;
  egress: string;
  ingressBackup?: string;
  egressBackup?: string;
}

/** One service function of a chain: flows are spread over its instances (one, unless it is load balanced). */
export interface SteeredHop {
  instances: readonly SteeredInstance[];
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

  /** Creates the chain under `id`, or finds it and gives it the spec's hops; its classifiers get ids derived from it. */
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
    const ports = Object.fromEntries(spec.hops.map((hop) => portsEntry(hop.instances)));
    const existing = await this.repositories.steeringPortChains.get(id);
    const chain =
      existing === undefined
        ? await this.steering.createPortChain(principal, { tenant_id: spec.tenantId, name: spec.name, classifiers: classifierIds, ports }, { id })
        : sameHops(existing.value.hops, spec.hops)
          ? existing.value
          : await this.steering.changePorts(principal, existing, ports);
    await this.programmedOrRefused(`chain ${spec.name}`, id);
    return chain;
  }

  /** Runs a programming pass: a switch that refuses what `what` needs fails the caller with 502, naming the switch's answer. */
  private async programmedOrRefused(what: string, portChainId: string): Promise<void> {
    const failures = await this.programmed();
    if (failures.length === 0) return;
    throw new ProblemError(502, `${what} could not be programmed: ${failures.map((failure) => `the switch of host ${failure.hostId} answered ${failure.problem}`).join('; ')}`, {
      title: 'Switch refused the chain',
      extensions: { portChainId, switches: failures },
    });
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

  // --- reclassification (NS update UPDATE_VNFFG) ---------------------------------------------------------------

  /**
   * Gives the existing chain `id` the classifiers of `spec` (its hops stay) in one store commit: the flow
   * programmer then swaps its classification flows in one bundle, so none of the chain's traffic goes
   * unclassified in between. Classifier ids stay those `ensure` derives, so `remove` still finds them all.
   */
  async reclassify(id: string, spec: SteeredChainSpec): Promise<SteeringPortChain> {
    const { steeringClassifiers, steeringPortChains, store } = this.repositories;
    const chain = await steeringPortChains.get(id);
    if (!chain) throw portChainNotFound(id);
    const writes: Write[] = [];
    const classifiers = spec.classifiers.map(
      (classifier, index): SteeringClassifier => ({
        id: derivedId(id, 'classifier', String(index)),
        tenantId: spec.tenantId,
        name: `${spec.name}-${index}`,
        description: '',
        protocol: classifier.protocol ?? null,
        port_range: classifier.portRange ?? null,
        src_ip: classifier.sourcePrefix ?? null,
        dst_ip: classifier.destinationPrefix ?? null,
      }),
    );
    for (const classifier of classifiers) {
      const stored = await steeringClassifiers.get(classifier.id);
      writes.push(stored ? steeringClassifiers.updateWrite(classifier, stored.revision) : steeringClassifiers.insertWrite(classifier));
    }
    const kept = new Set(classifiers.map((classifier) => classifier.id));
    for (const classifierId of chain.value.classifiers.filter((candidate) => !kept.has(candidate))) {
      const stored = await steeringClassifiers.get(classifierId);
      if (stored) writes.push(steeringClassifiers.deleteWrite(classifierId, stored.revision));
    }
    const reclassified: SteeringPortChain = { ...chain.value, classifiers: [...kept] };
    await store.commit([...writes, steeringPortChains.updateWrite(reclassified, chain.revision)]);
    await this.programmedOrRefused(`the classifiers of chain ${spec.name}`, id);
    return reclassified;
  }
}

/** Whether a stored chain already has the spec's service functions, instance for instance. */
function sameHops(stored: readonly SteeringHop[], wanted: readonly SteeredHop[]): boolean {
  return JSON.stringify(stored.map((hop) => portsEntry(hop.instances))) === JSON.stringify(wanted.map((hop) => portsEntry(hop.instances)));
}
