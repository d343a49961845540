/** Reading why IKE fails from charon's log (secure-connect/ike-failures.ts), on log lines as strongSwan 5.9 writes them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ikeFailures, logSize, logTail } from '../src/secure-connect/ike-failures.ts';

const at = (conn: string, sa: number, text: string): string => `Nov 21 18:10:52 06[IKE] <${conn}|${sa}> ${text}`;

describe('ikeFailures', () => {
  it('an authentication failure is kept with charon’s specific reason, not the generic notify that follows it', () => {
    const log = [
      at('peer-a-v4', 3, 'initiating IKE_SA peer-a-v4[3] to 198.51.100.2'),
      at('peer-a-v4', 3, "no trusted ECDSA public key found for 'C=US, O=Palisade Test, CN=db-198.51.100.3'"),
      at('peer-a-v4', 3, 'received AUTHENTICATION_FAILED notify error'),
      'Nov 21 18:10:53 01[NET] a line without an IKE SA name is ignored',
    ].join('\n');
    assert.deepEqual(ikeFailures(log).get('peer-a-v4'), { message: "no trusted ECDSA public key found for 'C=US, O=Palisade Test, CN=db-198.51.100.3'", auth: true });
  });

  it('an unanswered peer is a transient failure; a later establishment clears it', () => {
    const failed = at('peer-b-v4', 5, 'giving up after 5 retransmits');
    assert.deepEqual(ikeFailures(failed).get('peer-b-v4'), { message: 'giving up after 5 retransmits', auth: false });
    const recovered = [failed, at('peer-b-v4', 6, 'IKE_SA peer-b-v4[6] established between 198.51.100.1[a]...198.51.100.2[b]')].join('\n');
    assert.equal(ikeFailures(recovered).has('peer-b-v4'), false);
  });

  it('the last outcome per connection wins; connections are separate', () => {
    const log = [
      at('x', 1, 'received NO_PROPOSAL_CHOSEN notify error'),
      at('y', 2, "tried 1 shared key for 'a' - 'b', but MAC mismatched"),
      at('x', 3, "no shared key found for 'a' - 'b'"),
    ].join('\n');
    const f = ikeFailures(log);
    assert.deepEqual(f.get('x'), { message: "no shared key found for 'a' - 'b'", auth: true });
    assert.equal(f.get('y')?.auth, true);
    assert.equal(ikeFailures('').size, 0);
  });
});

describe('logTail', () => {
  it('reads from a mark, from a line start when capped, and the whole log when it was started anew', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-ike-log-'));
    try {
      const path = join(dir, 'charon.log');
      assert.equal(await logTail(path), '', 'no log yet');
      assert.equal(await logSize(path), 0);
      writeFileSync(path, 'old line 1\nold line 2\n');
      const mark = await logSize(path);
      appendFileSync(path, 'new line\n');
      assert.equal(await logTail(path, mark), 'new line\n');
      assert.equal(await logTail(path, 0, 12), 'new line\n', 'capped: starts at the next whole line');
      writeFileSync(path, 'fresh\n'); // charon restarted and truncated its log
      assert.equal(await logTail(path, mark), 'fresh\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
