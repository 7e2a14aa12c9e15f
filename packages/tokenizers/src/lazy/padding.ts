// The padding feature, as `loadTokenizer` imports it for a file that sets `padding`: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { padding } from '../padding.js';
