import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCsv, parseCsv } from '../src/csv.ts';

test('parses quoted fields, escaped quotes, CRLF and a BOM', () => {
  const r = parseCsv('\uFEFFkey,value\r\nrole,"web, ""front"""\r\n"env","multi\nline"\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.map((x) => x.fields), [['key', 'value'], ['role', 'web, "front"'], ['env', 'multi\nline']]);
  assert.deepEqual(r.records.map((x) => x.row), [1, 2, 3]);
});

test('reports unclosed quotes and stray quotes by row', () => {
  const r = parseCsv('a,b\nx"y,1\n"ok"z,2\n"open,3');
  assert.deepEqual(r.errors.map((e) => e.row), [2, 3, 4]);
  assert.equal(r.records.length, 1);
});

test('format then parse is the identity', () => {
  const rows = [['a,b', 'say "hi"'], [' padded', 'x\r\ny']];
  const back = parseCsv(formatCsv(['h1', 'h2'], rows)).records.map((r) => r.fields);
  assert.deepEqual(back, [['h1', 'h2'], ...rows]);
});
