/**
 * BART's five noising schemes (Lewis et al., 2019, §2.2) applied one at a time to a tokenized
 * sentence, with @tfkit/models-bart's own functions and each its own seeded generator, as the
 * "Every family" view shows them. The paper's rates: 15 % masking and deletion, 30 % infilling with
 * Poisson(3) span lengths.
 */
import { Random } from '@tfkit/core-tensor';
import { documentRotation, sentencePermutation, textInfilling, tokenDeletion, tokenMasking } from '@tfkit/models-bart';

export const NOISE_SCHEMES = ['token masking', 'token deletion', 'text infilling', 'sentence permutation', 'document rotation'] as const;
export type NoiseScheme = (typeof NOISE_SCHEMES)[number];

export function noiseAll(ids: readonly number[], o: { maskTokenId: number; fullStopIds: number[]; seed: number }): Record<NoiseScheme, number[]> {
  const rng = () => new Random(o.seed);
  return {
    'token masking': tokenMasking(ids, { maskTokenId: o.maskTokenId, probability: 0.15, rng: rng() }),
    'token deletion': tokenDeletion(ids, { probability: 0.15, rng: rng() }),
    'text infilling': textInfilling(ids, { maskTokenId: o.maskTokenId, probability: 0.3, poissonLambda: 3, rng: rng() }),
    'sentence permutation': sentencePermutation(ids, { fullStopIds: o.fullStopIds, rng: rng() }),
    'document rotation': documentRotation(ids, { rng: rng() }),
  };
}
