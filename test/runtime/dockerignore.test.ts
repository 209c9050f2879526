import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ignoreMatcher } from '../../src/runtime/docker/image-build.ts';

test('.dockerignore: paths, directories, * and ** patterns; the Dockerfile is always sent', () => {
  const ignored = ignoreMatcher(['# comment', '', 'node_modules', '/dist/', '*.env', 'logs/*.log', 'docs/**/*.png', '!keep.env', 'Dockerfile'].join('\n'));
  const rows: Array<[string, boolean]> = [
    ['node_modules', true],
    ['node_modules/pg/index.js', true],
    ['src/node_modules', false], // a pattern is rooted at the context, as Docker's are
    ['dist/main.js', true],
    ['prod.env', true],
    ['config/prod.env', false], // * does not cross a directory
    ['logs/a.log', true],
    ['logs/deep/a.log', false],
    ['docs/a/b/c.png', true],
    ['docs/c.png', true], // ** matches no directory too
    ['docs/a/b/c.txt', false],
    ['keep.env', true], // ! exceptions are not supported (documented)
    ['Dockerfile', false],
    ['server.mjs', false],
  ];
  for (const [path, want] of rows) assert.equal(ignored(path), want, path);
});
