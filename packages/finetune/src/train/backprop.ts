/**
 * `tf.variableGrads` that frees memory as the backward pass goes. tfjs-core's backward pass keeps
 * every intermediate gradient, every temporary of a custom gradient and every tensor saved for
 * the backward pass until the whole pass ends, so its peak is the forward's saved activations plus
 * the gradient of every activation. Here, once a tape node's gradient has been taken (nodes are
 * visited last to first, and each tensor is made by one node), the gradients of its outputs and
 * its saved tensors are freed, and the temporaries of its gradient function are freed with it.
 * The gradients are the same: the same gradient functions run in the same order and sums
 * accumulate in the same order as tfjs-core's `backpropagateGradients`.
 *
 * This walks tfjs-core's tape through engine fields that are not public API (`activeTape`,
 * `startTape`, …); when they are missing (another tfjs-core), or when called inside another
 * gradient computation, it uses `tf.variableGrads` instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withNeededGradients } from '@tfkit/core-tensor';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode(kernelName: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[], gradientsFunc: unknown, saved: tf.Tensor[] | undefined, attrs: unknown): void;
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
}

function engineInternals(): EngineInternals | undefined {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  const ok = typeof e.startTape === 'function' && typeof e.addTapeNode === 'function' && typeof e.endTape === 'function' && typeof e.scopedRun === 'function' && typeof e.state?.gradientDepth === 'number';
  return ok && e.state?.gradientDepth === 0 ? (e as EngineInternals) : undefined;
}

/**
 * The nodes of `tape` on a path from one of `xs` to `y`, with inputs not computed from `xs`
 * pruned (tfjs-core's `getFilteredNodesXToY`, Apache-2.0, the same selection).
 */
function filterTape(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      for (const input of Object.values(node.inputs)) leadToY.add(input.id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, input] of Object.entries(node.inputs)) if (fromX.has(input.id)) inputs[name] = input;
    out.push({ ...node, inputs });
  }
  return out;
}

/**
 * Runs `f` with the engine recording only the kernels computed from one of `xs` (directly or
 * through earlier such kernels): the others can have no gradient path to `xs` — `filterTape`
 * would drop them — so the tensors they save for the backward pass are freed at once instead of
 * being held until the pass ends. Under LoRA that is most of the frozen model's bookkeeping:
 * dropout masks and the random numbers drawn for them, attention masks, one-hot labels.
 */
function recordingFrom<T>(engine: EngineInternals, xs: tf.Tensor[], f: () => T): T {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const own = Object.prototype.hasOwnProperty.call(engine, 'addTapeNode');
  const previous = engine.addTapeNode;
  engine.addTapeNode = function (this: EngineInternals, kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    if (!Object.values(inputs).some((input) => input != null && fromX.has(input.id))) {
      for (const t of saved ?? []) t.dispose();
      return;
    }
    for (const o of outputs) fromX.add(o.id);
    previous.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
  };
  try {
    return f();
  } finally {
    if (own) engine.addTapeNode = previous;
    else delete (engine as Partial<EngineInternals>).addTapeNode;
  }
}

/**
 * The value of `f` and its gradients with respect to the trainable variables in `vars`, by
 * variable name (as `tf.variableGrads`), freeing intermediate tensors during the backward pass.
 */
export function variableGradsFreeing(f: () => tf.Scalar, vars: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = engineInternals();
  if (!engine) return tf.variableGrads(f, vars);
  const xs = vars.filter((v) => v.trainable);
  if (xs.length === 0) return tf.variableGrads(f, vars);
  try {
    const y = recordingFrom(engine, xs, () =>
      engine.scopedRun(
        () => engine.startTape(),
        () => engine.endTape(),
        () => tf.tidy('forward', f),
      ),
    );
    const tape = engine.state.activeTape ?? [];
    if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new Error(`variableGradsFreeing: f must return a scalar tensor`);
    const nodes = filterTape(tape, xs, y);
    const grads = tf.tidy('backward', () => backpropagate(nodes, y, xs));
    const named: tf.NamedTensorMap = {};
    xs.forEach((x, i) => {
      const g = grads[i];
      if (g) named[x.name] = g;
    });
    return { value: y, grads: named };
  } finally {
    for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
  }
}

function backpropagate(nodes: TapeNode[], y: tf.Tensor, xs: tf.Variable[]): (tf.Tensor | undefined)[] {
  // The gradient accumulated for each tensor id, and how many entries hold each gradient tensor
  // (a gradient function may hand its dy on unchanged, to one input or several).
  const acc = new Map<number, tf.Tensor>();
  const holders = new Map<tf.Tensor, number>();
  const hold = (id: number, t: tf.Tensor) => {
    acc.set(id, t);
    holders.set(t, (holders.get(t) ?? 0) + 1);
  };
  const release = (id: number) => {
    const t = acc.get(id);
    if (!t) return;
    acc.delete(id);
    const n = (holders.get(t) ?? 1) - 1;
    if (n > 0) holders.set(t, n);
    else {
      holders.delete(t);
      t.dispose();
    }
  };
  const xIds = new Set(xs.map((x) => x.id));
  hold(y.id, tf.ones(y.shape));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as TapeNode;
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const gradient = node.gradient;
    const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
    // One scope per node: what its gradient function makes besides the input gradients is freed here.
    const dxs = tf.tidy(() => {
      // tfkit's custom-gradient ops compute only the input gradients asked for here (the inputs
      // computed from `xs`): none for frozen weights.
      const inputGradients = withNeededGradients(new Set(Object.keys(node.inputs)), () => gradient(dys));
      const out: Record<string, tf.Tensor> = {};
      for (const name of Object.keys(node.inputs)) {
        const fn = inputGradients[name];
        if (!fn) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
        out[name] = fn();
      }
      return out;
    });
    for (const [name, dx] of Object.entries(dxs)) {
      const x = node.inputs[name] as tf.Tensor;
      if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
      }
      const current = acc.get(x.id);
      if (!current) {
        hold(x.id, dx);
        continue;
      }
      const sum = tf.add(current, dx);
      release(x.id);
      hold(x.id, sum);
      if (!holders.has(dx) && !dys.includes(dx)) dx.dispose();
    }
    // Every tensor is made by one node, so the gradients of this node's outputs are used up, and
    // so are the tensors it saved for its gradient.
    for (const o of node.outputs) if (!xIds.has(o.id)) release(o.id);
    for (const t of node.saved ?? []) t.dispose();
  }
  return xs.map((x) => acc.get(x.id));
}
