/**
 * A max-heap of candidate merges: highest count first, ties broken by the smaller pair (left id,
 * then right id), the order Hugging Face's BPE trainer uses, so training is deterministic.
 */
export class PairHeap {
  private counts = new Float64Array(1024);
  private keys = new Float64Array(1024);
  size = 0;

  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }

  push(count: number, key: number): void {
    if (this.size === this.counts.length) {
      const counts = new Float64Array(this.size * 2);
      counts.set(this.counts);
      const keys = new Float64Array(this.size * 2);
      keys.set(this.keys);
      this.counts = counts;
      this.keys = keys;
    }
    let i = this.size++;
    this.counts[i] = count;
    this.keys[i] = key;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  topCount = 0;
  topKey = 0;

  /** Removes the best entry into `topCount` / `topKey`; false when empty. */
  pop(): boolean {
    if (this.size === 0) return false;
    this.topCount = this.counts[0]!;
    this.topKey = this.keys[0]!;
    const last = --this.size;
    if (last > 0) {
      this.counts[0] = this.counts[last]!;
      this.keys[0] = this.keys[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const c = r < last && this.before(r, l) ? r : l;
        if (!this.before(c, i)) break;
        this.swap(c, i);
        i = c;
      }
    }
    return true;
  }
}
