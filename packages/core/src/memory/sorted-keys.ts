/** A set of strings kept in ascending order: binary search, and an O(1) append for keys that sort last. */
export class SortedKeys {
  readonly #keys: string[] = [];

  get size(): number {
    return this.#keys.length;
  }

  at(index: number): string | undefined {
    return this.#keys[index];
  }

  last(): string | undefined {
    return this.#keys[this.#keys.length - 1];
  }

  /** The index of the first key `>= key` (the size when every key is smaller). */
  lowerBound(key: string): number {
    const keys = this.#keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(key: string): boolean {
    return this.#keys[this.lowerBound(key)] === key;
  }

  /** Adds `key`; false when it was already there. */
  insert(key: string): boolean {
    const keys = this.#keys;
    const last = keys[keys.length - 1];
    if (last === undefined || last < key) {
      keys.push(key);
      return true;
    }
    const at = this.lowerBound(key);
    if (keys[at] === key) return false;
    keys.splice(at, 0, key);
    return true;
  }

  /** Removes `key`; false when it was not there. */
  remove(key: string): boolean {
    const keys = this.#keys;
    if (keys[keys.length - 1] === key) {
      keys.pop();
      return true;
    }
    const at = this.lowerBound(key);
    if (keys[at] !== key) return false;
    keys.splice(at, 1);
    return true;
  }

  /** Removes every key `< key` (a prefix, in one splice); returns how many were removed. */
  dropBelow(key: string): number {
    const n = this.lowerBound(key);
    if (n > 0) this.#keys.splice(0, n);
    return n;
  }

  /** Removes every key in `keys` in one pass (removing one at a time would be quadratic). */
  removeAll(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return;
    let w = 0;
    const all = this.#keys;
    for (let r = 0; r < all.length; r++) {
      const key = all[r] as string;
      if (!keys.has(key)) all[w++] = key;
    }
    all.length = w;
  }
}
