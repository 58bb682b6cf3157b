// @ts-check
/**
 * Seeded byte mutations of model files, in plain JavaScript so that the browser end-to-end test
 * (apps/web) builds the same hostile files as the Node tests.
 */

/**
 * A seeded generator of floats in [0, 1).
 * @param {number} seed
 * @returns {() => number}
 */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    s = (s ^ (s >>> 12)) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Copies `bytes` with `count` random bytes replaced, within [from, to).
 * @param {Uint8Array} bytes
 * @param {() => number} rand
 * @param {number} count
 * @param {number} [from]
 * @param {number} [to]
 * @returns {Uint8Array}
 */
export function flipBytes(bytes, rand, count, from = 0, to = bytes.length) {
  const out = bytes.slice();
  for (let i = 0; i < count; i++) {
    const at = from + Math.floor(rand() * (to - from));
    out[at] = (out[at] ^ (1 + Math.floor(rand() * 255))) & 0xff;
  }
  return out;
}

/**
 * The HDF5 file of the hostile tests mutated so that a fresh copy of the HDF5 library traps on
 * it (memory access out of bounds): seed 285.
 * @param {Uint8Array} h5
 * @returns {Uint8Array}
 */
export function crashingHdf5(h5) {
  const rand = rng(285);
  return flipBytes(h5, rand, 1 + Math.floor(rand() * 32));
}
