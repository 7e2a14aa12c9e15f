// tfjs-core's gradient definitions (only the `@tensorflow/tfjs` union package registers them).
// The build bundles them into one ESM file of their own, which `loadGradients()` imports on demand
// from both the ESM and the CommonJS build; nothing else imports this file.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
