/**
 * Golden scenarios (STYLE §3): every folder under test/scenarios is rendered and compared byte
 * for byte with the files beside it. After a deliberate change, regenerate with
 *   UPDATE_GOLDENS=1 node scripts/run-tests.mjs packages/render
 * and review the diff of the .nft files like code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNftables, renderSetDelta } from '../src/index.ts';
import { loadScenarios } from './support/scenarios.ts';

const update = process.env['UPDATE_GOLDENS'] === '1';

function compare(path: string, actual: string): void {
  if (update) {
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing: run UPDATE_GOLDENS=1 node scripts/run-tests.mjs packages/render`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${path} differs (if intended: UPDATE_GOLDENS=1 node scripts/run-tests.mjs packages/render)`);
}

describe('golden scenarios', () => {
  const scenarios = loadScenarios();
  it('has the scenarios the issue asks for', () => {
    const names = scenarios.map((s) => s.name);
    for (const n of ['mode-idle', 'mode-visibility-only', 'mode-selective', 'mode-full', 'dual-stack', 'services', 'deny-rules', 'empty-sets', 'many-peers', 'membership-delta']) {
      assert.ok(names.includes(n), `scenario ${n} is missing`);
    }
  });
  for (const s of scenarios) {
    it(`${s.name}: expected.nft`, () => {
      compare(join(s.dir, 'expected.nft'), renderNftables(s.plan, s.context));
    });
    if (s.after) {
      const after = s.after;
      it(`${s.name}: expected-delta.nft`, () => {
        const delta = renderSetDelta(s.plan, after, s.context);
        assert.notEqual(delta, null, 'the plans differ in membership only, so a delta is expected');
        compare(join(s.dir, 'expected-delta.nft'), delta ?? '');
      });
    }
  }
});
