/** A uniform float in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and good enough to make seeded test data reproducible. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes several integers into one 32-bit seed, so (seed, org, stream) pairs never collide. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h >>> 0;
}

export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Okta object ids are 20 characters: a 3-character type prefix and 17 base62 characters. */
export function oktaId(rng: Rng, prefix: string): string {
  let id = prefix;
  while (id.length < 20) id += ALPHABET[Math.floor(rng() * ALPHABET.length)];
  return id;
}

export function randomString(rng: Rng, length: number): string {
  let s = '';
  while (s.length < length) s += ALPHABET[Math.floor(rng() * ALPHABET.length)];
  return s;
}
