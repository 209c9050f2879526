// The control API with flags only (no controller), in its own process for the flags benchmark.
// argv[2] = state dir. Prints the URL once it listens.
import { buildApi } from '../../src/api/server.ts';
import { FlagService } from '../../src/flags/service.ts';
import type { ControlPlane } from '../../src/rollout/types.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const store = new SqliteStore({ stateDir: process.argv[2]! });
const flags = new FlagService({ store });
const app = buildApi({ control: {} as ControlPlane, token: 'bench-admin', clientToken: 'bench-client', flags });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
