/** Points where a test holds a step of an operation, and bounded waits. */

export interface Gate {
  /** Resolves once the step got to the gate. */
  entered: Promise<void>;
  open(): void;
  /** What the step awaits: resolves once the test opens the gate. */
  wait(): Promise<void>;
}

/** A point a step stops at until the test opens it; `entered` resolves once the step got there. */
export function gate(): Gate {
  let enter: () => void = () => undefined;
  let release: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const opened = new Promise<void>((resolve) => (release = resolve));
  return {
    entered,
    open: () => release(),
    wait: () => {
      enter();
      return opened;
    },
  };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
