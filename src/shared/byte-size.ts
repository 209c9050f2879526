import { z } from 'zod';

const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)$/i;

/** Parses "100MiB", "10MB", "512KiB", "1GiB", "4096B" (or a plain number of bytes) into bytes. */
export function parseByteSize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) throw new RangeError(`invalid size ${input}`);
    return input;
  }
  const m = PATTERN.exec(input.trim());
  if (!m) throw new RangeError(`invalid size "${input}"`);
  return Math.round(Number(m[1]) * UNIT_BYTES[m[2]!.toLowerCase()]!);
}

/** A zod field for sizes: accepts "100MiB" or bytes, yields bytes. */
export const byteSize = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    try {
      return parseByteSize(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a size; write it like 512KiB, 100MiB, 1GiB or a number of bytes` });
      return z.NEVER;
    }
  });
