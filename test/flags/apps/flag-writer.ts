// Changes a flag as fast as it can until killed: the kill -9 test checks that every committed change is whole
// (definition and event together). argv[2] = state dir.
import { FlagService } from '../../../src/flags/service.ts';
import { SqliteStore } from '../../../src/store/sqlite-store.ts';

const flags = new FlagService({ store: new SqliteStore({ stateDir: process.argv[2]! }) });
flags.set('hot', { enabled: true }, { actor: 'writer' });
process.stdout.write('ready\n');
for (let i = 1; ; i++) flags.apply([{ op: 'rollout', name: 'hot', percent: i % 101 }], { actor: 'writer', reason: `change ${i}` });
