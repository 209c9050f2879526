// Process entry without the CLI: `node --import tsx src/proxy/main.ts '<json RunProxyOptions>'`.
// Used by the benchmark; cluster workers re-run this same file.
import { runStandaloneProxy } from './cluster.ts';

runStandaloneProxy(JSON.parse(process.argv[2] ?? '{}')).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
