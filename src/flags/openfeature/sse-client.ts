/**
 * A minimal EventSource over fetch (Node ≥ 20 has no global one): follows a
 * text/event-stream with a bearer token, hands each event (id, event, data)
 * to `onEvent`, and reports any traffic (comments included) to `onActivity`
 * so a watchdog can tell a quiet stream from a dead one. It does not
 * reconnect: the caller decides when.
 */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseHandlers {
  onOpen(): void;
  onEvent(e: SseEvent): void;
  /** Any bytes arrived; `comment` is set for comment lines (": ..."). */
  onActivity(comment?: string): void;
}

/** Resolves when the stream ends (server closed it or `signal` aborted); rejects on connect errors and non-200 answers. */
export async function readEventStream(url: string, token: string, signal: AbortSignal, handlers: SseHandlers, fetchImpl: typeof fetch = fetch): Promise<void> {
  const res = await fetchImpl(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`flag stream answered ${res.status}`);
  }
  handlers.onOpen();
  const decoder = new TextDecoder();
  let buffer = '';
  let event: Partial<SseEvent> & { data?: string } = {};
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      handlers.onActivity();
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (event.data !== undefined) handlers.onEvent({ event: event.event ?? 'message', data: event.data, ...(event.id !== undefined ? { id: event.id } : {}) });
          event = {};
        } else if (line.startsWith(':')) {
          handlers.onActivity(line.slice(1).trim());
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') event.data = event.data === undefined ? val : `${event.data}\n${val}`;
          else if (field === 'event') event.event = val;
          else if (field === 'id') event.id = val;
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
