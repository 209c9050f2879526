import { randomFillSync } from 'node:crypto';

/**
 * Random (version 4) UUIDs for X-Request-Id, one per proxied request that
 * lacks one: built byte-wise in a reused buffer and read out as one flat
 * string, where crypto.randomUUID joins ~20 short strings per id.
 */
const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let next = POOL_IDS;
const out = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

export function requestId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const base = 16 * next++;
  pool[base + 6] = (pool[base + 6]! & 0x0f) | 0x40; // version 4
  pool[base + 8] = (pool[base + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  let o = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out[o++] = 0x2d; // '-'
    const b = pool[base + i]!;
    out[o++] = HEX[b >> 4]!;
    out[o++] = HEX[b & 15]!;
  }
  return (out as Latin1Buffer).latin1Slice(0, 36);
}
