// The bpeDropout feature, as `loadTokenizer` imports it for a BPE model that sets `dropout`: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { bpeDropout } from '../bpe-dropout.js';
