// Bounded polling for tests: wait until a condition holds, or fail with a label.
export async function waitUntil(cond: () => boolean | Promise<boolean>, label: string, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${label}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function httpText(port: number, path = '/', host = '127.0.0.1'): Promise<string> {
  const res = await fetch(`http://${host}:${port}${path}`, { headers: { connection: 'close' } });
  return res.text();
}
