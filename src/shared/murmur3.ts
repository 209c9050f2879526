/**
 * MurmurHash3, x86 32-bit, over a string's UTF-16 units taken as bytes (each unit's low byte): exactly what the
 * npm package murmurhash3js computes (Unleash's Node SDK buckets with it), written with Math.imul so it runs about
 * ten times faster. Flags and the proxy's experiment bucketing use it; test/shared/murmur3.test.ts checks it
 * against murmurhash3js on random strings and seeds.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(key: string, seed = 0): number {
  const len = key.length;
  const tail = len & 3;
  const body = len - tail;
  let h1 = seed | 0;
  let k1 = 0;
  let i = 0;
  for (; i < body; i += 4) {
    k1 = (key.charCodeAt(i) & 0xff) | ((key.charCodeAt(i + 1) & 0xff) << 8) | ((key.charCodeAt(i + 2) & 0xff) << 16) | ((key.charCodeAt(i + 3) & 0xff) << 24);
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  k1 = 0;
  switch (tail) {
    case 3:
      k1 ^= (key.charCodeAt(i + 2) & 0xff) << 16;
    // falls through
    case 2:
      k1 ^= (key.charCodeAt(i + 1) & 0xff) << 8;
    // falls through
    case 1:
      k1 ^= key.charCodeAt(i) & 0xff;
      k1 = Math.imul(k1, C1);
      k1 = (k1 << 15) | (k1 >>> 17);
      k1 = Math.imul(k1, C2);
      h1 ^= k1;
  }
  h1 ^= len;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}
