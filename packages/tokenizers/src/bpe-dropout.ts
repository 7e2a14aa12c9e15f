/**
 * The `bpeDropout` feature: the seeded generator BPE-dropout (Provilkov et al. 2020) draws from,
 * core-tensor's `uniformStream`. The main entry loads it; on `@tfkit/tokenizers/core` it is
 * `use(bpeDropout)` (only a BPE model with `dropout` set needs it; `loadTokenizer` imports it then).
 */
import { uniformStream } from '@tfkit/core-tensor/random';
import type { BpeDropoutFeature } from './features.js';

export const bpeDropout: BpeDropoutFeature = { feature: 'bpeDropout', rng: uniformStream };
