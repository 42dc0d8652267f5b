import type { ChildProcess } from 'node:child_process';

/** The exit code of a child process (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Everything a worker printed, once it has exited 0; its standard error in the failure otherwise. */
export async function outputOf(child: ChildProcess): Promise<string> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await exited(child);
  if (code !== 0) throw new Error(`worker exited ${code}: ${errors}`);
  return output.trim();
}
