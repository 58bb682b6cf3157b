/**
 * The calling thread's record of the packed matrices the workers hold. Every worker sees every
 * job, so all hold the same set, and this record decides it: which matrix a job must stage in
 * shared memory, and which ones the workers drop first (least recently used beyond the limits).
 */

/** What a job tells the workers about their copies. */
export interface Admission {
  /** The matrix is new to the workers: the job stages it. */
  stage: boolean;
  /** Matrices the workers drop before this job. */
  drops: number[];
}

export class WorkerMatrices {
  /** Values per matrix id, least recently used first. */
  private readonly sizes = new Map<number, number>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxValues: number,
  ) {}

  /** Whether the workers hold matrix `id`. */
  has(id: number): boolean {
    return this.sizes.has(id);
  }

  /** Records a job on matrix `id` of `values` values; returns what the job must tell the workers. */
  admit(id: number, values: number): Admission {
    const known = this.sizes.get(id);
    if (known != null) {
      this.sizes.delete(id);
      this.sizes.set(id, known);
      return { stage: false, drops: [] };
    }
    const drops: number[] = [];
    for (const [old, size] of this.sizes) {
      if (this.sizes.size < this.maxEntries && this.total + values <= this.maxValues) break;
      this.sizes.delete(old);
      this.total -= size;
      drops.push(old);
    }
    this.sizes.set(id, values);
    this.total += values;
    return { stage: true, drops };
  }

  /** Forgets every matrix: later jobs stage theirs again. */
  clear(): void {
    this.sizes.clear();
    this.total = 0;
  }
}
