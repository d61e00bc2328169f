/*
 * A Map keeps insertion order, so re-inserting on every hit makes its first key the least recently
 * used: an LRU in a few lines (no dependency needed for the engine's bounded caches).
 */

export function lruGet<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

/** Sets `key`, first evicting the least recently used entries while the map holds `max` or more. */
export function lruSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
  map.set(key, value);
}
