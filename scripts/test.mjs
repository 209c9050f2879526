// Runs every test file under test/ with node:test through tsx. Node 20's --test
// does not expand globs, so the file list is built here. Pass a substring to
// run only matching files: `node scripts/test.mjs proxy` (several: files matching any).
//
// Spawned `cutover` processes run compiled JavaScript: this run builds its own
// copy (.dist-<pid>/, handed to bin/cutover.js as CUTOVER_DIST) so it matches
// the sources under test and never races another run rebuilding dist/.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const outDir = `.dist-${process.pid}`;
let status = 1;
try {
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', outDir], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const filters = process.argv.slice(2);
  const files = find('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const r = spawnSync(
    process.execPath,
    // A test that hangs fails after 10 minutes instead of holding CI. (Not --test-force-exit: on Node 20 it once ended
    // a file's process with tests of it still unreported, and the run said nothing failed.)
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-reporter=spec', ...files],
    { stdio: 'inherit', env: { ...process.env, CUTOVER_DIST: join(process.cwd(), outDir) } },
  );
  status = r.status ?? 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
process.exit(status);
