import type { Logger } from '../platform/index.js';

/**
 * Work that goes on after a 202 (onboarding, fetching a package): tracked so that stopping the module waits for
 * it instead of closing the store under it. What the work does is persisted step by step by the work itself.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();
  private accepting = true;
  private readonly stopping = new AbortController();

  /** Aborted when the module stops: long waits (fetching a package) end early instead of holding the shutdown. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  constructor(private readonly logger: Logger) {}

  run(what: string, work: () => Promise<void>): void {
    if (!this.accepting) return;
    const task = work()
      .catch((error: unknown) => this.logger.error({ err: error, what }, 'background work failed'))
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  async drain(): Promise<void> {
    this.accepting = false;
    this.stopping.abort();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
