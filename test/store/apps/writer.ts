// Writes rollout transitions as fast as it can until killed: the kill -9 test
// checks that every committed transition is whole. argv[2] = state dir.
import { initialState } from '../../../src/rollout/state.ts';
import { SqliteStore } from '../../../src/store/sqlite-store.ts';

const store = new SqliteStore({ stateDir: process.argv[2]! });
let i = 0;
process.stdout.write('ready\n');
for (;;) {
  i++;
  const state = { ...initialState('web', i), stepIndex: i, weight: i % 100 };
  state.desired.scale[1] = i;
  store.saveRollout(state, [
    { service: 'web', time: i, type: 'StepCompleted', reason: `step ${i}` },
    { service: 'web', time: i, type: 'Paused', reason: `step ${i}` },
  ]);
}
