import assert from 'node:assert/strict';
import { test } from 'node:test';

import { durationWords, earliest, keptUntil, parseExpiry, retentionNote } from '../src/expiry.js';

test('the retention line reads the configured expiry in words', () => {
  assert.equal(retentionNote(86400), 'Unfinished uploads are kept for 24 hours, then removed.');
  assert.equal(retentionNote(3600), 'Unfinished uploads are kept for 1 hour, then removed.');
  assert.equal(retentionNote(7 * 86400), 'Unfinished uploads are kept for 7 days, then removed.');
  assert.equal(durationWords(5400), '90 minutes');
  assert.equal(durationWords(30), '30 seconds');
  assert.equal(retentionNote(null), '');
  assert.equal(retentionNote(0), '');
});

test('Upload-Expires (RFC 7231) and expires_at (ISO) both parse', () => {
  assert.equal(parseExpiry('Sat, 28 Nov 2026 11:05:45 GMT').toISOString(), '2026-11-28T11:05:45.000Z');
  assert.equal(parseExpiry('2026-11-28T11:05:45.123456+00:00').toISOString(), '2026-11-28T11:05:45.123Z');
  assert.equal(parseExpiry('not a date'), null);
  assert.equal(parseExpiry(null), null);
});

test('the expiry is said relative to today, in local time', () => {
  // Local-time constructors: the test holds in any time zone.
  const now = new Date(2026, 10, 27, 14, 5);
  assert.equal(keptUntil(new Date(2026, 10, 27, 23, 59), now), 'Kept until 23:59 today');
  assert.equal(keptUntil(new Date(2026, 10, 28, 14, 5), now), 'Kept until 14:05 tomorrow');
  assert.equal(keptUntil(new Date(2026, 10, 28, 0, 0), now), 'Kept until 00:00 tomorrow');
  assert.equal(keptUntil(new Date(2026, 11, 3, 9, 7), now), 'Kept until 09:07 on Thu 3 Dec');
  assert.equal(keptUntil(new Date(2027, 0, 2, 9, 7), now), 'Kept until 09:07 on Sat 2 Jan 2027');
  assert.match(keptUntil(new Date(2026, 10, 27, 14, 0), now), /^No longer kept/);
  assert.equal(keptUntil(null, now), '');
  // A header string works as well as a Date.
  const header = new Date(2026, 10, 28, 14, 5).toUTCString();
  assert.equal(keptUntil(header, now), 'Kept until 14:05 tomorrow');
});

test('an item of several files is kept until its first file goes', () => {
  const first = new Date(2026, 10, 28, 9, 0);
  assert.equal(earliest([new Date(2026, 10, 28, 10, 0), first.toISOString(), null]).getTime(), first.getTime());
  assert.equal(earliest([null, undefined]), null);
});
