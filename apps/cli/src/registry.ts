/**
 * The CLI is an app: the one place that wires every package together. Each family's register
 * function is called here.
 */
import { createRegistry, type Registry } from '@tfkit/core-tensor';
import { registerAllBackends } from '@tfkit/backends';
import { registerFinetune } from '@tfkit/finetune';
import { registerGeneration } from '@tfkit/generation';
import { registerBert } from '@tfkit/models-bert';
import { registerGpt2 } from '@tfkit/models-gpt';
import { registerTokenizers } from '@tfkit/tokenizers';

export function createCliRegistry(): Registry {
  const registry = createRegistry();
  registerAllBackends(registry);
  registerTokenizers(registry);
  registerGeneration(registry);
  registerGpt2(registry);
  registerBert(registry);
  registerFinetune(registry);
  return registry;
}
