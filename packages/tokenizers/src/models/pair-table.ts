/**
 * An open-addressing hash table from an ordered pair of token ids to a merge rank. BPE looks pairs
 * up in its innermost loop; this avoids Map's boxed keys (a·V + b overflows small integers).
 */
export class PairTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca77);
    h ^= h >>> 15;
    let i = h & this.mask;
    while (this.left[i] !== -1 && (this.left[i] !== a || this.right[i] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  /** Sets the value for (a, b). */
  set(a: number, b: number, value: number): void {
    const i = this.slot(a, b);
    if (this.left[i] === -1) this.size++;
    this.left[i] = a;
    this.right[i] = b;
    this.values[i] = value;
  }

  /** The value for (a, b), or -1. */
  get(a: number, b: number): number {
    const i = this.slot(a, b);
    return this.left[i] === -1 ? -1 : this.values[i]!;
  }
}
