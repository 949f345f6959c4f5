/** The status page at city scale: unfiltered it shows the totals only; a District or a search shows rows. */
import { describe, expect, it } from 'vitest';
import { summarise } from '../../functions/plans/rules.js';
import { Org } from '../../schemas/orgs.js';
import { DETAIL_ROWS_UNFILTERED, statusPage } from '../../web/pages.js';
import { campaign, orgs } from './samples.js';

const many = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    Org.parse({ id: `s-${i}`, name: `学校${i}`, kind: 'school', districtId: i % 2 ? 'dh' : 'xh', contacts: [{ name: '张', email: `s${i}@example.org` }], tokenVersion: 1 }),
  );
const page = (n: number, filter = {}) => {
  const all = [orgs.dh, orgs.xh, ...many(n)];
  const { rows, totals } = summarise(campaign, all, []);
  return statusPage(orgs.bureau, campaign, rows, totals, new Date('2019-06-20T00:00:00Z'), filter);
};
const rowsOn = (html: string) => (html.match(/<tr data-org=/g) ?? []).length;

describe('statusPage at city scale', () => {
  it(`up to ${DETAIL_ROWS_UNFILTERED} orgs: every row`, () => {
    const html = page(DETAIL_ROWS_UNFILTERED - 2);
    expect(rowsOn(html)).toBe(DETAIL_ROWS_UNFILTERED);
    expect(html).not.toContain('data-too-many');
  });
  it('more: the totals and a request to choose a District or search; filtered, the rows', () => {
    const html = page(2000);
    expect(rowsOn(html)).toBe(0);
    expect(html).toContain('data-too-many');
    expect(html).toContain('<tr data-group="D#dh">');
    expect(rowsOn(page(2000, { group: 'D#dh' }))).toBe(1001);
    expect(rowsOn(page(2000, { q: '学校19' }))).toBe(111); // 学校19, 学校190–199, 学校1900–1999
    expect(html.length).toBeLessThan(30_000);
  });
});
