// The trimOffsets feature, as `loadTokenizer` imports it for a post-processor that trims offsets: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { trimOffsets } from '../processors/trim-offsets.js';
