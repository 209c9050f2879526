/**
 * Writes one response at a time to a client socket with as few syscalls as
 * it can: the head is held until the first body bytes (or a flush), a small
 * body is copied behind it into one buffer, and a larger one is corked with it
 * until the turn's flush, so head and body usually leave in one write. It also
 * knows whether the current response has begun and since when the client has
 * not been taking what is written (the connection's send timeout).
 */
import type { Socket } from 'node:net';

/** Response bodies up to this size are copied behind their head and sent in one write. */
const JOIN_MAX = 16 * 1024;

export class ResponseWriter {
  /** A response head not written yet (see head). */
  private pendingHead: string | null = null;
  private corked = false;
  /** A head was given for the current response: an error can now only cut the connection. */
  headSent = false;
  /** When a write found the client's buffer above its high-water mark and no 'drain' came yet, else -1. */
  blockedSince = -1;

  constructor(private readonly socket: Socket) {}

  /** Holds the head (latin1) until its first body bytes or flush. */
  head(head: string): void {
    this.headSent = true;
    this.pendingHead = head;
  }

  /** False when the client's buffer is full: wait for 'drain' (drained()) before writing more. */
  write(chunk: Buffer): boolean {
    if (this.send(chunk)) return true;
    if (this.blockedSince < 0) this.blockedSince = performance.now();
    return false;
  }

  /** The client took what was waiting. */
  drained(): void {
    this.blockedSince = -1;
  }

  /** The response is complete: the next one starts without a head. */
  next(): void {
    this.headSent = false;
  }

  private send(chunk: Buffer): boolean {
    const head = this.pendingHead;
    if (head === null) return this.socket.write(chunk);
    this.pendingHead = null;
    if (chunk.length <= JOIN_MAX) {
      // One buffer (from Node's pool at this size), one write: no corked list, no writev of a string and a buffer.
      const out = Buffer.allocUnsafe(head.length + chunk.length);
      out.write(head, 0, 'latin1');
      chunk.copy(out, head.length);
      return this.socket.write(out);
    }
    if (!this.corked) {
      this.socket.cork();
      this.corked = true;
    }
    this.socket.write(head, 'latin1');
    return this.socket.write(chunk);
  }

  /** Sends what was written in this turn in one go (a head still held included). */
  flush(): void {
    const head = this.pendingHead;
    if (head !== null) {
      this.pendingHead = null;
      this.socket.write(head, 'latin1');
    }
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }
}
