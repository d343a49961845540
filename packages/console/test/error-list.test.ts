import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../src/api/client.ts';
import { errorItems, fieldErrors, otherErrors } from '../src/components/error-list.tsx';
import { sortRows } from '../src/components/data-table.tsx';

const err = new ApiError(406, [
  { token: 'input_validation_error', message: 'body.name: must not be empty' },
  { token: 'input_validation_error', message: 'body.ip_ranges[1].from_ip: "10.1.0.1/16" is not an IP address or a CIDR with zero host bits' },
  { token: 'input_validation_error', message: 'body.ip_ranges: too many' },
  { token: 'input_validation_error', message: 'body.names: not this one' },
  { token: 'label_in_use', message: 'label role=web is in use' },
]);

describe('errors at their fields', () => {
  it('fieldErrors picks a field and its parts, without the path; exact leaves the parts out', () => {
    assert.deepEqual(fieldErrors(err, 'name'), ['must not be empty']);
    assert.deepEqual(fieldErrors(err, 'ip_ranges[1].from_ip'), ['"10.1.0.1/16" is not an IP address or a CIDR with zero host bits']);
    assert.equal(fieldErrors(err, 'ip_ranges').length, 2);
    assert.deepEqual(fieldErrors(err, 'ip_ranges', true), ['too many']);
    assert.deepEqual(fieldErrors(err, 'ip_ranges[0].from_ip'), []);
  });

  it('otherErrors: what no field claims, for the top of the form; plain errors become one item', () => {
    assert.deepEqual(otherErrors(err, ['name', 'ip_ranges']).map((e) => e.token), ['input_validation_error', 'label_in_use']);
    assert.deepEqual(errorItems(new Error('offline')), [{ token: 'error', message: 'offline' }]);
    assert.deepEqual(errorItems(undefined), []);
  });

  it('sortRows: numbers numerically, text naturally, both directions', () => {
    const rows = [{ n: 10, s: 'host-10' }, { n: 9, s: 'host-9' }, { n: 100, s: 'host-100' }];
    assert.deepEqual(sortRows(rows, (r) => r.n, 'asc').map((r) => r.n), [9, 10, 100]);
    assert.deepEqual(sortRows(rows, (r) => r.s, 'desc').map((r) => r.s), ['host-100', 'host-10', 'host-9']);
  });
});
