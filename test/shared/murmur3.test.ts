// The hand-written MurmurHash3 must equal murmurhash3js (the package Unleash's SDK buckets with) bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import murmurhash3js from 'murmurhash3js';
import { murmur3 } from '../../src/shared/murmur3.ts';

function randomString(rng: () => number): string {
  const len = Math.floor(rng() * 40);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = rng();
    // ASCII mostly, then Latin-1, BMP and astral (surrogate pairs): the low byte of each UTF-16 unit is what counts.
    s += r < 0.7 ? String.fromCharCode(32 + Math.floor(rng() * 95)) : r < 0.85 ? String.fromCharCode(128 + Math.floor(rng() * 128)) : r < 0.95 ? String.fromCharCode(0x100 + Math.floor(rng() * 0xfe00)) : String.fromCodePoint(0x10000 + Math.floor(rng() * 0xfffff));
  }
  return s;
}

test('murmur3 equals murmurhash3js.x86.hash32 on 200k random strings and seeds', () => {
  let x = 0x9e3779b9;
  const rng = () => ((x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) ^ (x + 0x6d2b79f5)) >>> 0) / 4294967296;
  const seeds = [0, 86028157, 1, 0x7fffffff, -1];
  for (let n = 0; n < 200_000; n++) {
    const key = randomString(rng);
    const seed = seeds[n % seeds.length]!;
    const want = murmurhash3js.x86.hash32(key, seed);
    if (murmur3(key, seed) !== want) assert.fail(`differs for ${JSON.stringify(key)} seed ${seed}: ${murmur3(key, seed)} vs ${want}`);
  }
});

test('known values: Unleash bucketing of "groupId:userId"', () => {
  for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'test:123', 'Feature.flexible.rollout:userId-42', 'ÆØÅ:ü']) {
    assert.equal(murmur3(key, 0), murmurhash3js.x86.hash32(key, 0), key);
  }
  assert.equal(murmur3('', 0), 0);
});
