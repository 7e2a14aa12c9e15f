/**
 * TensorFlow.js keeps its gradient definitions out of `@tensorflow/tfjs-core`'s main entry (only
 * the `@tensorflow/tfjs` union package registers them). Training needs them, inference does not,
 * so they are loaded on demand: `await loadGradients()` once before the first `tf.grads` /
 * `tf.variableGrads` (the finetune Trainer calls it for you; `useBackend` does not, so an
 * inference page never loads them).
 */
let loading: Promise<void> | undefined;

export function loadGradients(): Promise<void> {
  loading ??= import('./tfjs-gradients.js').then(() => undefined);
  return loading;
}
