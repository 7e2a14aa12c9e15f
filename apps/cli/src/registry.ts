/**
 * The CLI is an app: the one place that wires every package together. It registers everything
 * through @tfkit/all (every family, task, backend, tokenizer model, optimizer and adapter, and the
 * embedded default models), so a new family reaches the CLI by joining @tfkit/all. Imported on
 * first use: `tfkit --help` loads none of it.
 */
import type { Registry } from '@tfkit/core-tensor';

export async function createCliRegistry(): Promise<Registry> {
  const { createRegistry, registerAll } = await import('@tfkit/all');
  return registerAll(createRegistry());
}
