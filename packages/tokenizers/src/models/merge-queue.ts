/** A min-heap of (rank, position) pairs, the merge candidates of one word. */
export class MergeQueue {
  ranks: Int32Array = new Int32Array(64);
  positions: Int32Array = new Int32Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  private less(i: number, j: number): boolean {
    const ri = this.ranks[i]!;
    const rj = this.ranks[j]!;
    return ri < rj || (ri === rj && this.positions[i]! < this.positions[j]!);
  }

  private swap(i: number, j: number): void {
    const r = this.ranks[i]!;
    this.ranks[i] = this.ranks[j]!;
    this.ranks[j] = r;
    const p = this.positions[i]!;
    this.positions[i] = this.positions[j]!;
    this.positions[j] = p;
  }

  push(rank: number, pos: number): void {
    if (this.size === this.ranks.length) {
      const ranks = new Int32Array(this.size * 2);
      ranks.set(this.ranks);
      const positions = new Int32Array(this.size * 2);
      positions.set(this.positions);
      this.ranks = ranks;
      this.positions = positions;
    }
    let i = this.size++;
    this.ranks[i] = rank;
    this.positions[i] = pos;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the minimum; its rank and position are left in `topRank` / `topPos`. */
  topRank = 0;
  topPos = 0;
  pop(): boolean {
    if (this.size === 0) return false;
    this.topRank = this.ranks[0]!;
    this.topPos = this.positions[0]!;
    const last = --this.size;
    if (last > 0) {
      this.ranks[0] = this.ranks[last]!;
      this.positions[0] = this.positions[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const c = r < last && this.less(r, l) ? r : l;
        if (!this.less(c, i)) break;
        this.swap(c, i);
        i = c;
      }
    }
    return true;
  }
}
