/**
 * TensorFlow.js keeps its gradient definitions out of `@tensorflow/tfjs-core`'s main entry (only
 * the `@tensorflow/tfjs` union package registers them). Training needs them, inference does not,
 * so they are loaded on demand: `await loadGradients()` once before the first `tf.grads` /
 * `tf.variableGrads` (the backends package and the Trainer call it for you).
 */
let loading: Promise<void> | undefined;

export function loadGradients(): Promise<void> {
  loading ??= import('@tensorflow/tfjs-core/dist/register_all_gradients').then(() => undefined);
  return loading;
}
