// The analysis part of cutover.yaml: Argo's defaults, both forms of canary analysis, every place analysis runs, and
// bad input named precisely (the metric, the template, the field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.ts';
import { parseConfigText } from '../../src/config/load.ts';

const service = (body: string) => `
services:
  web:
    listen: 8080
    run: node server.js
${body}`;

const templates = `    analysis:
      templates:
        golden:
          args: [ { name: host } ]
          metrics:
            - name: success-rate
              interval: 1s
              provider: { builtin: { metric: successRate } }
              successCondition: "result >= 0.99"
            - name: vs-stable
              provider: { builtin: { compare: stable } }
            - name: smoke
              provider: { command: { run: "curl -fsS http://{{args.host}}/" } }
`;

test("templates get Argo's defaults; every strategy can refer to them", () => {
  const cfg = parseConfigText(
    service(`${templates}    strategy:
      canary:
        analysis: { templates: [golden], args: [ { name: host, value: "127.0.0.1:8080" } ], startingStep: 1 }
        steps: [ { setWeight: 10 }, { analysis: { templates: [ { templateName: golden } ], args: [ { name: host, value: x } ] } }, { setWeight: 50 } ]`),
  );
  const web = cfg.services.web!;
  const [rate, judge] = web.analysis!.templates.golden!.metrics;
  assert.deepEqual({ failureLimit: rate!.failureLimit, inconclusiveLimit: rate!.inconclusiveLimit, consecutiveErrorLimit: rate!.consecutiveErrorLimit, initialDelay: rate!.initialDelay, interval: rate!.interval }, { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, initialDelay: 0, interval: 1000 });
  assert.deepEqual(judge!.provider.builtin, { compare: 'stable', confidence: 0.98, tolerance: 0.25, minRequests: 20, minLatencyDeltaMs: 5 });
  assert.deepEqual(web.strategy.canary!.analysis, { templates: ['golden'], args: [{ name: 'host', value: '127.0.0.1:8080' }], startingStep: 1 });
  assert.deepEqual(web.strategy.canary!.steps[1], { analysis: { templates: ['golden'], args: [{ name: 'host', value: 'x' }] } });

  const bg = parseConfigText(service(`${templates}    strategy:\n      blueGreen: { prePromotionAnalysis: { templates: [golden], args: [ { name: host, value: a } ] }, postPromotionAnalysis: { templates: [golden], args: [ { name: host, value: b } ] } }`));
  assert.deepEqual(bg.services.web!.strategy.blueGreen!.postPromotionAnalysis!.templates, ['golden']);
  const rolling = parseConfigText(service(`${templates}    strategy:\n      rolling: { analysis: { templates: [golden], args: [ { name: host, value: a } ] } }`));
  assert.deepEqual(rolling.services.web!.strategy.rolling!.analysis!.templates, ['golden']);
  const shadow = parseConfigText(service(`${templates}    strategy:\n      shadow: { duration: 1m, analysis: { templates: [golden], args: [ { name: host, value: a } ] } }`));
  assert.deepEqual(shadow.services.web!.strategy.shadow!.analysis!.templates, ['golden']);
  const experiment = parseConfigText(service(`${templates}    strategy:\n      experiment: { analysis: { templates: [golden], args: [ { name: host, value: a } ] } }`));
  assert.deepEqual(experiment.services.web!.strategy.experiment!.analysis!.templates, ['golden']);
});

test('the short canary form still loads as before', () => {
  const cfg = parseConfigText(service(`    strategy:\n      canary:\n        steps: [ { setWeight: 30 } ]\n        analysis: { interval: 1s, maxErrorRate: 0.05, minRequests: 10, failureLimit: 0 }`));
  assert.deepEqual(cfg.services.web!.strategy.canary!.analysis, { interval: 1000, maxErrorRate: 0.05, minRequests: 10, failureLimit: 0 });
});

function issues(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

test('a bad condition is a config error naming the metric, the field and what went wrong', () => {
  const got = issues(service(`    analysis:\n      templates:\n        t:\n          metrics:\n            - name: p95\n              provider: { builtin: { metric: latencyP95Ms } }\n              successCondition: "result <= "\n`));
  assert.equal(got.length, 1, got.join('\n'));
  assert.match(got[0]!, /services\.web\.analysis\.templates\.t\.metrics\.0\.successCondition: metric "p95": the expression ends too early at column 11/);
  const unknown = issues(service(`    analysis:\n      templates:\n        t:\n          metrics:\n            - name: p95\n              provider: { builtin: { metric: latencyP95Ms } }\n              failureCondition: "require('fs')"\n`));
  assert.match(unknown.join('\n'), /failureCondition: metric "p95": unknown function "require"/);
});

test('references to missing templates or args, two providers, and conditions on the judge are config errors', () => {
  const missing = issues(service(`${templates}    strategy:\n      canary: { steps: [ { analysis: { templates: [gold] } } ] }`));
  assert.match(missing.join('\n'), /strategy\.canary\.steps\.0\.analysis\.templates: no analysis template "gold"; known: golden/);
  const noArg = issues(service(`${templates}    strategy:\n      blueGreen: { prePromotionAnalysis: { templates: [golden] } }`));
  assert.match(noArg.join('\n'), /strategy\.blueGreen\.prePromotionAnalysis\.args: template "golden" needs arg "host"/);
  const shadowMissing = issues(service(`${templates}    strategy:\n      shadow: { analysis: { templates: [gold] } }`));
  assert.match(shadowMissing.join('\n'), /strategy\.shadow\.analysis\.templates: no analysis template "gold"/);
  const experimentNoArg = issues(service(`${templates}    strategy:\n      experiment: { analysis: { templates: [golden] } }`));
  assert.match(experimentNoArg.join('\n'), /strategy\.experiment\.analysis\.args: template "golden" needs arg "host"/);
  const two = issues(service(`    analysis:\n      templates:\n        t: { metrics: [ { name: x, provider: { builtin: { metric: errorRate }, command: { run: "true" } } } ] }\n`));
  assert.match(two.join('\n'), /set exactly one provider/);
  const judged = issues(service(`    analysis:\n      templates:\n        t: { metrics: [ { name: x, successCondition: "result > 1", provider: { builtin: { compare: stable } } } ] }\n`));
  assert.match(judged.join('\n'), /metric "x": the comparative judge decides by itself/);
});
