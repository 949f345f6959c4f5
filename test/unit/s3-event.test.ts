/** S3 events as AWS (and emulators) send them: keys decoded per AWS's rules, eventTime in any ISO-8601 form. */
import { describe, expect, it } from 'vitest';
import { decodeS3Key, parseInstant, S3Event } from '../../schemas/s3-events.js';

describe('decodeS3Key', () => {
  it('decodes AWS URL-encoding, "+" as a space', () => {
    expect(decodeS3Key('incoming/a+b/%E4%B8%AD.pdf')).toBe('incoming/a b/中.pdf');
    expect(decodeS3Key('incoming%2F2019-plans%2Fx')).toBe('incoming/2019-plans/x');
  });
  it('takes a key that is not valid percent-encoding as it came (a raw key from an emulator), never throws', () => {
    expect(decodeS3Key('incoming/x/y.pdf%zz')).toBe('incoming/x/y.pdf%zz');
    expect(decodeS3Key('%E0%A4%A')).toBe('%E0%A4%A');
  });
});

describe('parseInstant (eventTime)', () => {
  const at = '2019-06-30T15:59:00.000Z';
  it.each([
    '2019-06-30T15:59:00.000Z',
    '2019-06-30T15:59:00Z',
    '2019-06-30T15:59:00', // an emulator that drops the zone: UTC, as S3's clock is
    '2019-06-30T23:59:00+08:00',
    '2019-06-30T23:59:00+0800',
    '2019-06-30T10:59:00-05',
    '20190630T155900Z',
    '2019-06-30T15:59:00.000000Z',
    '2019-06-30 15:59:00Z',
  ])('%s', (s) => expect(parseInstant(s)?.toISOString()).toBe(at));
  it('keeps milliseconds and refuses what is not an instant', () => {
    expect(parseInstant('2019-06-30T15:59:00.123456Z')?.toISOString()).toBe('2019-06-30T15:59:00.123Z');
    for (const bad of ['', 'yesterday', '2019-02-30T00:00:00Z', '2019-06-30T25:00:00Z', '2019-06-30', 'Sun, 30 Jun 2019 15:59:00 GMT']) expect(parseInstant(bad), bad).toBeUndefined();
  });
  it('an S3 event whose eventTime cannot be read does not parse (the handler then fails, and the event is retried)', () => {
    const ev = (eventTime: string) => ({ Records: [{ eventName: 'ObjectCreated:Post', eventTime, s3: { bucket: { name: 'b' }, object: { key: 'k' } } }] });
    expect(S3Event.safeParse(ev('2019-06-30T15:59:00Z')).success).toBe(true);
    expect(S3Event.safeParse(ev('not a time')).success).toBe(false);
  });
});
