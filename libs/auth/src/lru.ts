/** A small LRU with per-entry expiry over a Map (insertion order = recency). */
export class ExpiringLru<V> {
  private readonly map = new Map<string, { value: V; expires: number }>();
  evictions = 0;

  constructor(private readonly max: number) {}

  get size(): number { return this.map.size; }

  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= now) { this.map.delete(key); return undefined; }
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    if (this.max <= 0 || ttlMs <= 0) return;
    this.map.delete(key);
    this.map.set(key, { value, expires: now + ttlMs });
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.evictions++;
    }
  }

  delete(key: string): boolean { return this.map.delete(key); }

  /** Deletes the entries whose value matches; returns how many. */
  deleteWhere(pred: (v: V) => boolean): number {
    let n = 0;
    for (const [k, e] of this.map) if (pred(e.value)) { this.map.delete(k); n++; }
    return n;
  }

  clear(): void { this.map.clear(); }
}
