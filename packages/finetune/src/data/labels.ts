/** Label values → class ids, shared by the token- and image-classification collators. */
import { FinetuneError } from '../errors.js';

/** The label ignored by the losses (PyTorch's and Hugging Face's `ignore_index`). */
export const IGNORE_INDEX = -100;

/**
 * How label values become class ids: a list of label names in id order (`id2label`, e.g.
 * `['O', 'B-PER', 'I-PER']`), a `label2id` record, or a function. Integers (and strings of digits)
 * are taken as ids when no mapping names them.
 */
export type LabelToId<T = unknown> = readonly string[] | Readonly<Record<string, number>> | ((label: unknown, example: T) => number);

/** Compiles `labelToId` into a function; `where` prefixes error messages. */
export function labelResolver<T>(labelToId: LabelToId<T> | undefined, where: string): (label: unknown, example: T) => number {
  if (typeof labelToId === 'function') {
    return (label, example) => {
      const id = labelToId(label, example);
      if (!Number.isInteger(id)) throw new FinetuneError(`${where}: labelToId(${JSON.stringify(label)}) returned ${id}, not an integer class id`);
      return id;
    };
  }
  const table = new Map<string, number>(Array.isArray(labelToId) ? labelToId.map((name, id) => [name, id]) : Object.entries(labelToId ?? {}));
  return (label) => {
    if (typeof label === 'string' && table.has(label)) return table.get(label) as number;
    if (typeof label === 'number' && Number.isInteger(label)) return label;
    if (typeof label === 'string' && /^-?\d+$/.test(label.trim())) return Number(label);
    const known = table.size > 0 ? ` (known labels: ${[...table.keys()].slice(0, 20).join(', ')}${table.size > 20 ? ', …' : ''})` : '; pass labelToId (a list of label names in id order, a label2id record or a function) to map it';
    throw new FinetuneError(`${where}: label ${JSON.stringify(label)} is not an integer class id${known}`);
  };
}
