/**
 * What a test file (or suite) started, closed in reverse order by its `after` hook, even when a test failed
 * half-way. `const cleanups = cleanupsAfter(after)` inside a describe closes at the end of that suite.
 */
export type Cleanup = () => unknown;

export function cleanupsAfter(after: (fn: () => Promise<void>) => void): Cleanup[] {
  const list: Cleanup[] = [];
  after(async () => {
    for (const c of list.splice(0).reverse()) await c();
  });
  return list;
}
