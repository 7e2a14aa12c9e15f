// The truncation feature, as `loadTokenizer` imports it for a file that sets `truncation`: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { truncation } from '../truncation.js';
