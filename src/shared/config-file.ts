/**
 * Reading a YAML config file (cutover.yaml, or the proxy's own): bounded in
 * size and refused unless it is UTF-8, before any parser sees it.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

/**
 * Larger config files are refused before they are parsed: the YAML parser's
 * time and memory grow faster than the file (2 MB took 1.8 s, 50 MB ran out
 * of patience), and a real config is a few KiB.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The error for a config over MAX_CONFIG_BYTES. */
export function tooLarge(source: string, size: number): ConfigError {
  return new ConfigError(source, [{
    path: '',
    message: `is ${size} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`,
    hint: 'is this the right file? a cutover.yaml is a few KiB',
  }]);
}

/**
 * Reads a config file as UTF-8 text: at most MAX_CONFIG_BYTES (a larger one is refused before it is read), and
 * bytes that are not UTF-8 are refused with their line and column instead of becoming U+FFFD in a command or a value.
 */
export function readConfigText(file: string): string {
  let buf: Buffer;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_CONFIG_BYTES) throw tooLarge(file, size);
      // One byte more than allowed is enough to tell (a pipe or special file reports no size).
      buf = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
      let n = 0;
      for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
      if (n > MAX_CONFIG_BYTES) throw tooLarge(file, n);
      buf = buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(cause as Error).message}`, hint: 'pass the right path with -c' }]);
  }
  if (!isUtf8(buf)) {
    const at = firstNonUtf8(buf);
    const lineStart = buf.lastIndexOf(0x0a, at - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (buf[i] === 0x0a) line++;
    const column = [...buf.subarray(lineStart, at).toString('utf8')].length + 1;
    throw new ConfigError(file, [{
      path: '',
      message: `line ${line}, column ${column}: byte 0x${buf[at]!.toString(16).padStart(2, '0')} is not UTF-8`,
      hint: 'save the file as UTF-8',
    }]);
  }
  return buf.toString('utf8');
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629), -1 if none. */
function firstNonUtf8(b: Buffer): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i; // not a lead byte, or the sequence is cut off by the end
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    const d = b[i + 1]!;
    // overlong 3- and 4-byte forms, UTF-16 surrogates, past U+10FFFF
    if ((c === 0xe0 && d < 0xa0) || (c === 0xed && d >= 0xa0) || (c === 0xf0 && d < 0x90) || (c === 0xf4 && d >= 0x90)) return i;
    i += n + 1;
  }
  return -1;
}

