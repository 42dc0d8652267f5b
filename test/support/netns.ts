import { run, uniqueSuffix, type CommandResult } from './command.js';
import { NAMESPACE_PREFIX } from './sweep.js';


/**
 * A Linux network namespace made for one test: a simulated host or a service function. Needs root, as CI
 * has. `delete` removes it and every interface inside it.
 */
export class NetworkNamespace {
  private deleted = false;

  private constructor(readonly name: string) {}

  /**
   * IPv6 is off unless asked for: otherwise every interface sends its own neighbour discovery and MLD
   * packets, which would show up in the packet counts that dataplane tests assert on.
   */
  static async create(label = 'ns', options: { ipv6?: boolean } = {}): Promise<NetworkNamespace> {
    const name = `${NAMESPACE_PREFIX}${label}-${uniqueSuffix()}`;
    await run('ip', ['netns', 'add', name]);
    const namespace = new NetworkNamespace(name);
    if (!options.ipv6) {
      for (const scope of ['all', 'default']) await namespace.exec('sysctl', ['-qw', `net.ipv6.conf.${scope}.disable_ipv6=1`]);
    }
    await namespace.exec('ip', ['link', 'set', 'lo', 'up']);
    return namespace;
  }

  /** A namespace someone else made (the product's lab compute driver), to run commands in; `delete` removes it. */
  static adopt(name: string): NetworkNamespace {
    return new NetworkNamespace(name);
  }

  exec(file: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
    return run('ip', ['netns', 'exec', this.name, file, ...args], options);
  }

  /** Sends `count` ICMP echo requests; answers how many replies came back (0 rather than an error). */
  async ping(address: string, count = 3, timeoutSeconds = 2): Promise<number> {
    try {
      const { stdout } = await this.exec('ping', ['-c', String(count), '-i', '0.2', '-W', String(timeoutSeconds), address], {
        timeoutMs: (count * (timeoutSeconds + 1) + 5) * 1000,
      });
      return receivedCount(stdout);
    } catch (error) {
      const stdout = (error as { stdout?: string }).stdout ?? '';
      return receivedCount(stdout);
    }
  }

  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

function receivedCount(pingOutput: string): number {
  const match = /(\d+) (?:packets )?received/.exec(pingOutput);
  return match ? Number(match[1]) : 0;
}
