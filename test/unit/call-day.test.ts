/** Where the call centre's day starts for the call-setting daily caps (cti/calls/directory.ts). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { timeZoneSetting } from '../../config/settings.ts';
import { startOfDay } from '../../cti/calls/directory.ts';

const test = suite('call-setting day');
const iso = (d: Date) => d.toISOString();

test('the day starts at local midnight of the configured time zone', () => {
  // 01:30 on the 5th in Shanghai is still the 4th in UTC.
  const now = new Date('2031-03-04T17:30:00Z');
  assert.is(iso(startOfDay(now, 'Asia/Shanghai')), '2031-03-04T16:00:00.000Z');
  assert.is(iso(startOfDay(now, 'UTC')), '2031-03-04T00:00:00.000Z');
  assert.is(iso(startOfDay(now, 'America/New_York')), '2031-03-04T05:00:00.000Z');
  // Exactly midnight belongs to the new day.
  assert.is(iso(startOfDay(new Date('2031-03-04T16:00:00Z'), 'Asia/Shanghai')), '2031-03-04T16:00:00.000Z');
});

test('days that change to or from summer time start at their own midnight', () => {
  // New York moves its clocks forward at 02:00 on 2031-03-09 and back at 02:00 on 2031-11-02.
  assert.is(
    iso(startOfDay(new Date('2031-03-09T20:00:00Z'), 'America/New_York')),
    '2031-03-09T05:00:00.000Z',
  );
  assert.is(
    iso(startOfDay(new Date('2031-03-10T12:00:00Z'), 'America/New_York')),
    '2031-03-10T04:00:00.000Z',
  );
  assert.is(
    iso(startOfDay(new Date('2031-11-02T20:00:00Z'), 'America/New_York')),
    '2031-11-02T04:00:00.000Z',
  );
  assert.is(
    iso(startOfDay(new Date('2031-11-03T12:00:00Z'), 'America/New_York')),
    '2031-11-03T05:00:00.000Z',
  );
});

test('TIME_ZONE: a known zone, or the process’s when empty; anything else stops the start', () => {
  assert.is(timeZoneSetting({ TIME_ZONE: 'Asia/Shanghai' }), 'Asia/Shanghai');
  assert.is(timeZoneSetting({}), Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.throws(() => timeZoneSetting({ TIME_ZONE: 'Mars/Olympus' }), /TIME_ZONE/);
});

test.run();
