/**
 * mulberry32: a small, fast, seeded generator of uniform numbers in [0, 1). The same seed gives
 * the same sequence everywhere, so seeded initializers, test data and benchmark inputs reproduce.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded {@link mulberry32} generator with normal and truncated-normal draws. */
export class SeededRandom {
  /** Uniform in [0, 1). */
  readonly uniform: () => number;
  private spare: number | null = null;

  /** `seed` null or undefined draws a seed from `Math.random`. */
  constructor(seed?: number | null) {
    this.uniform = mulberry32(seed ?? Math.floor(Math.random() * 0x7fffffff));
  }

  /** Standard normal (Box–Muller, pairs cached). */
  normal(): number {
    if (this.spare != null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Standard normal truncated to [-2, 2] by redrawing, as TensorFlow's truncated_normal. */
  truncatedNormal(): number {
    for (;;) {
      const x = this.normal();
      if (x >= -2 && x <= 2) return x;
    }
  }
}
