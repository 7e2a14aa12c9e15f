// useBackend loads no gradient code (an inference page never downloads tfjs's gradient chunk);
// training loads it with loadGradients() (the finetune Trainer does so itself).
import { describe, expect, it, vi } from 'vitest';
import type * as CoreTensor from '@tfkit/core-tensor';

const loadGradients = vi.hoisted(() => vi.fn(async () => undefined));
vi.mock('@tfkit/core-tensor', async (importOriginal) => ({ ...(await importOriginal<typeof CoreTensor>()), loadGradients }));

const { createRegistry } = await import('@tfkit/core-tensor');
const { registerCpuBackend, useBackend } = await import('./index.js');

describe('useBackend and tfjs gradients', () => {
  it('activating a backend, named or by default, loads no gradient code', async () => {
    const registry = createRegistry();
    registerCpuBackend(registry);
    expect((await useBackend(registry, 'cpu')).backend).toBe('cpu');
    expect((await useBackend(registry)).backend).toBe('cpu');
    expect(loadGradients).not.toHaveBeenCalled();
  });
});
