// The BPE model, as `loadTokenizer` imports them: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { BPE_MODEL } from '../models/bpe.js';
