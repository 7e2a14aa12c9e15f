// The serialization feature, as `loadFeatures` imports it: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { serialization } from '../serialization.js';
