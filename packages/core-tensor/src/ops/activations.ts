/**
 * Activation functions by their Hugging Face names (`hidden_act` / `activation_function`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';
import { FUSED_GELU, FUSED_GELU_GRAD, hasFusedElementwise, hasFusedKernel, recordingGradients } from './fused-kernels.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_K = 0.044715;

// The GELUs carry closed-form gradients: autodiff through erf/tanh and the polynomial records about
// twice as many backward kernels, and these run on every FFN activation of a training step.

// Each saves x alone and recomputes Φ(x) or tanh(u) in the backward pass (as the fused op below):
// one activation-sized tensor kept per FFN layer instead of two.
const geluCdf = (x: tf.Tensor) => tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5); // Φ(x)
const geluTanhT = (x: tf.Tensor) => tf.tanh(tf.mul(x, tf.add(tf.mul(tf.mul(x, x), SQRT_2_OVER_PI * GELU_TANH_K), SQRT_2_OVER_PI))); // tanh(u), u = c·(x + k·x³)

const geluOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.mul(x, geluCdf(x)),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx] = saved as [tf.Tensor];
      const sCdf = geluCdf(sx);
      // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π)
      const xPdf = tf.mul(sx, tf.mul(tf.exp(tf.mul(tf.mul(sx, sx), -0.5)), INV_SQRT_2PI));
      return tf.mul(dy as tf.Tensor, tf.add(sCdf, xPdf));
    },
  };
});

const geluTanhOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(geluTanhT(x), 1)),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx] = saved as [tf.Tensor];
      const st = geluTanhT(sx);
      // d/dx ½x(1 + t) = ½(1 + t) + ½x·(1 − t²)·c·(1 + 3k·x²)
      const du = tf.add(tf.mul(tf.mul(sx, sx), SQRT_2_OVER_PI * 3 * GELU_TANH_K), SQRT_2_OVER_PI);
      const dt = tf.mul(tf.sub(1, tf.mul(st, st)), du);
      const grad = tf.mul(tf.add(tf.add(st, 1), tf.mul(sx, dt)), 0.5);
      return tf.mul(dy as tf.Tensor, grad);
    },
  };
});

// Through a backend's fused `TfkitGelu` kernel: one kernel forward, x saved alone; the backward
// pass recomputes Φ(x) or tanh(u) from it (`TfkitGeluGrad` where the backend has it, a few
// kernels otherwise), and half the activation memory is kept.
function fusedGeluOp(approximate: 'none' | 'tanh'): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return {
      value: tf.engine().runKernel(FUSED_GELU, { x }, { approximate } as unknown as tf.NamedAttrMap) as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx] = saved as [tf.Tensor];
        if (hasFusedKernel(FUSED_GELU_GRAD, sx, dy as tf.Tensor)) {
          return tf.engine().runKernel(FUSED_GELU_GRAD, { dy: dy as tf.Tensor, x: sx }, { approximate } as unknown as tf.NamedAttrMap) as tf.Tensor;
        }
        if (approximate === 'none') {
          const cdf = tf.mul(tf.add(tf.erf(tf.mul(sx, Math.SQRT1_2)), 1), 0.5);
          const xPdf = tf.mul(sx, tf.mul(tf.exp(tf.mul(tf.mul(sx, sx), -0.5)), INV_SQRT_2PI));
          return tf.mul(dy as tf.Tensor, tf.add(cdf, xPdf));
        }
        const x2 = tf.mul(sx, sx);
        const t = tf.tanh(tf.mul(sx, tf.add(tf.mul(x2, SQRT_2_OVER_PI * GELU_TANH_K), SQRT_2_OVER_PI)));
        const du = tf.add(tf.mul(x2, SQRT_2_OVER_PI * 3 * GELU_TANH_K), SQRT_2_OVER_PI);
        const dt = tf.mul(tf.sub(1, tf.mul(t, t)), du);
        return tf.mul(dy as tf.Tensor, tf.mul(tf.add(tf.add(t, 1), tf.mul(sx, dt)), 0.5));
      },
    };
  }) as (x: tf.Tensor) => tf.Tensor;
}

const fusedGeluWithGradient = fusedGeluOp('none');
const fusedGeluTanhWithGradient = fusedGeluOp('tanh');
// Nothing recorded (inference, decoding): the kernel alone, without the custom-gradient scope.
const fusedGelu = (x: tf.Tensor) => (recordingGradients() ? fusedGeluWithGradient(x) : (tf.engine().runKernel(FUSED_GELU, { x }, { approximate: 'none' } as unknown as tf.NamedAttrMap) as tf.Tensor));
const fusedGeluTanh = (x: tf.Tensor) => (recordingGradients() ? fusedGeluTanhWithGradient(x) : (tf.engine().runKernel(FUSED_GELU, { x }, { approximate: 'tanh' } as unknown as tf.NamedAttrMap) as tf.Tensor));

/** Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return hasFusedElementwise(FUSED_GELU, x) ? fusedGelu(x) : geluOp(x);
}

/** Tanh approximation of GELU ("gelu_new", "gelu_pytorch_tanh"; GPT-2). Uses x·x·x, not pow. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return hasFusedElementwise(FUSED_GELU, x) ? fusedGeluTanh(x) : geluTanhOp(x);
}

/** x · sigmoid(1.702 x) ("quick_gelu"). */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

export type ActivationName =
  | 'relu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast' | 'quick_gelu' | 'silu' | 'swish' | 'tanh' | 'sigmoid' | 'linear';

const ACTIVATIONS: Record<ActivationName, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  gelu,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu_fast: geluTanh,
  quick_gelu: quickGelu,
  silu,
  swish: silu,
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  linear: (x) => x,
};

/** The activation function for a Hugging Face name; an unknown name is a `ConfigError` listing the known ones. */
export function getActivation(name: string): (x: tf.Tensor) => tf.Tensor {
  // Own keys only: a config naming "toString" must not reach the prototype chain.
  const fn = typeof name === 'string' && Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name as ActivationName] : undefined;
  if (!fn) throw new ConfigError(`unknown activation "${name}"; known: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return fn;
}
