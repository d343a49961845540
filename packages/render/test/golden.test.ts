/**
 * Golden scenarios (STYLE §3): every folder under test/scenarios is rendered and compared byte
 * for byte with the files beside it. After a deliberate change, regenerate with
 *   UPDATE_GOLDENS=1 node scripts/run-tests.mjs packages/render
 * and review the diff like code. Every target is rendered for every scenario (STYLE §3):
 * nftables, swanctl (+ its secrets file when there is one) and Windows PowerShell.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNftables, renderSetDelta, renderSwanctl, renderWindows } from '../src/index.ts';
import { loadScenarios } from './support/scenarios.ts';

const update = process.env['UPDATE_GOLDENS'] === '1';

/** A golden that must not exist (a scenario without secrets has no secrets file). */
function absent(path: string): void {
  if (update) rmSync(path, { force: true });
  else assert.ok(!existsSync(path), `${path} should not exist: run UPDATE_GOLDENS=1 node scripts/run-tests.mjs packages/render`);
}

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
    for (const n of ['mode-idle', 'mode-visibility-only', 'mode-selective', 'mode-full', 'dual-stack', 'services', 'deny-rules', 'empty-sets', 'many-peers', 'membership-delta', 'secure-connect-psk', 'secure-connect-cert', 'secure-connect-mixed-ike', 'secure-connect-incapable-peer']) {
      assert.ok(names.includes(n), `scenario ${n} is missing`);
    }
  });
  for (const s of scenarios) {
    it(`${s.name}: expected.nft`, () => {
      compare(join(s.dir, 'expected.nft'), renderNftables(s.plan, s.context));
    });
    it(`${s.name}: expected.swanctl.conf (and expected.secrets.conf)`, () => {
      const files = renderSwanctl(s.plan, s.swanctl);
      compare(join(s.dir, 'expected.swanctl.conf'), files['swanctl.conf']);
      if (files.secrets === undefined) absent(join(s.dir, 'expected.secrets.conf'));
      else compare(join(s.dir, 'expected.secrets.conf'), files.secrets);
    });
    it(`${s.name}: expected.ps1`, () => {
      compare(join(s.dir, 'expected.ps1'), renderWindows(s.plan, s.windows));
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
