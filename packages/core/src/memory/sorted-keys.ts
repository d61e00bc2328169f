/**
 * A set of strings kept in ascending order: binary search, and O(1) for the keys that come and go
 * at either end (an append that sorts last; a removal of the first key, as when due lots expire in
 * order).
 *
 * The keys live in `#keys` from index `#head` on: removing the first key moves `#head` instead of
 * shifting every other key (its slot is blanked, so the key's string can be collected), and the
 * dead prefix is cut once it is as long as what is live.
 */
/** What a removed key's slot holds until the dead prefix is cut: the key itself may be freed. */
const DEAD = '';

export class SortedKeys {
  #keys: string[] = [];
  #head = 0;

  get size(): number {
    return this.#keys.length - this.#head;
  }

  at(index: number): string | undefined {
    return index < 0 ? undefined : this.#keys[this.#head + index];
  }

  last(): string | undefined {
    return this.#keys.length > this.#head ? this.#keys[this.#keys.length - 1] : undefined;
  }

  /** The index of the first key `>= key` (the size when every key is smaller). */
  lowerBound(key: string): number {
    const keys = this.#keys;
    let lo = this.#head;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.#head;
  }

  has(key: string): boolean {
    return this.at(this.lowerBound(key)) === key;
  }

  /** Adds `key`; false when it was already there. */
  insert(key: string): boolean {
    const keys = this.#keys;
    const last = this.last();
    if (last === undefined || last < key) {
      keys.push(key);
      return true;
    }
    const at = this.lowerBound(key);
    if (this.at(at) === key) return false;
    if (at === 0 && this.#head > 0) {
      // Before the first key: reuse the dead slot in front of it.
      this.#head -= 1;
      keys[this.#head] = key;
      return true;
    }
    keys.splice(this.#head + at, 0, key);
    return true;
  }

  /** Removes `key`; false when it was not there. */
  remove(key: string): boolean {
    const keys = this.#keys;
    if (this.size === 0) return false;
    if (keys[keys.length - 1] === key) {
      keys.pop();
      this.#settle();
      return true;
    }
    const at = this.lowerBound(key);
    if (this.at(at) !== key) return false;
    if (at === 0) {
      keys[this.#head] = DEAD;
      this.#head += 1;
      this.#settle();
    } else {
      keys.splice(this.#head + at, 1);
    }
    return true;
  }

  /** Removes every key `< key` (a prefix); returns how many were removed. */
  dropBelow(key: string): number {
    const n = this.lowerBound(key);
    this.#keys.fill(DEAD, this.#head, this.#head + n);
    this.#head += n;
    this.#settle();
    return n;
  }

  /** Removes every key in `keys` in one pass (removing one at a time would be quadratic). */
  removeAll(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return;
    const all = this.#keys;
    let w = 0;
    for (let r = this.#head; r < all.length; r++) {
      const key = all[r] as string;
      if (!keys.has(key)) all[w++] = key;
    }
    all.length = w;
    this.#head = 0;
  }

  /** Cuts the dead prefix once it is as long as the live keys (amortised O(1) per removal). */
  #settle(): void {
    if (this.#head === this.#keys.length) {
      this.#keys = [];
      this.#head = 0;
    } else if (this.#head > 32 && this.#head * 2 >= this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#head = 0;
    }
  }
}
