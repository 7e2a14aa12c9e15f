// The three ByteLevel types, as `loadTokenizer` imports them: a lazy entry of its own, with the core's chunk anchor (see lazy-components.ts).
import '../lazy-components.js';
export { BYTE_LEVEL } from '../byte-level-components.js';
