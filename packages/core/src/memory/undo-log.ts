import type { SortedKeys } from './sorted-keys.js';

/**
 * What one transaction changed, as the steps that put it back: the cost of a transaction is
 * O(its changes), however much the store holds.
 *
 * Every mutable structure of the store is a `Map`, a {@link SortedKeys} or an append-only array,
 * and every change to one goes through this log. For a map entry the log keeps the previous value
 * (or its absence) the first time the transaction writes the key; later writes of the same key add
 * nothing. Other changes push their inverse. `rollback` runs the inverses newest first, so each
 * structure returns to exactly the state it had when the transaction began.
 *
 * Stored rows are never mutated in place: a change writes a new object, so the previous value the
 * log holds is never altered afterwards.
 */
export class UndoLog {
  #undo: Array<() => void> = [];
  #seen = new WeakMap<Map<unknown, unknown>, Set<unknown>>();

  /** How many undo steps are recorded (for tests of the O(changes) claim). */
  get size(): number {
    return this.#undo.length;
  }

  /** Records the current value of `map[key]` unless this transaction already wrote the key. */
  #touch<K, V>(map: Map<K, V>, key: K): void {
    const erased = map as unknown as Map<unknown, unknown>;
    let seen = this.#seen.get(erased);
    if (seen === undefined) {
      seen = new Set();
      this.#seen.set(erased, seen);
    }
    if (seen.has(key)) return;
    seen.add(key);
    if (map.has(key)) {
      const previous = map.get(key) as V;
      this.#undo.push(() => {
        map.set(key, previous);
      });
    } else {
      this.#undo.push(() => {
        map.delete(key);
      });
    }
  }

  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    this.#touch(map, key);
    map.set(key, value);
  }

  delete<K, V>(map: Map<K, V>, key: K): boolean {
    if (!map.has(key)) return false;
    this.#touch(map, key);
    map.delete(key);
    return true;
  }

  insertSorted(keys: SortedKeys, key: string): boolean {
    if (!keys.insert(key)) return false;
    this.#undo.push(() => {
      keys.remove(key);
    });
    return true;
  }

  removeSorted(keys: SortedKeys, key: string): boolean {
    if (!keys.remove(key)) return false;
    this.#undo.push(() => {
      keys.insert(key);
    });
    return true;
  }

  /** Registers the inverse of a change made outside the helpers above. */
  onRollback(inverse: () => void): void {
    this.#undo.push(inverse);
  }

  /** Puts back everything recorded, newest first. The log is empty afterwards. */
  rollback(): void {
    const undo = this.#undo;
    this.#undo = [];
    this.#seen = new WeakMap();
    for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
  }
}
