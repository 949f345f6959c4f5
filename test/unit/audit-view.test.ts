/**
 * The Bureau's view of the audit trail (functions/audit/service.ts, web/audit/page.ts) on in-memory fakes:
 * who may read it, what a row says (Beijing time, org, action, actor, document and version, before → after,
 * note), paging back from the latest, one org's trail, the CSV, and the page's escaping.
 */
import { describe, expect, it } from 'vitest';
import { AUDIT_PAGE_SIZE, type AuditViewer, auditCsv, auditTrail, changesOf } from '../../functions/audit/service.js';
import { AppError } from '../../functions/shared/errors.js';
import type { Role } from '../../functions/shared/tokens.js';
import type { AuditEvent } from '../../schemas/audit.js';
import { auditPage } from '../../web/audit/page.js';
import { FakeAuditLog, FakeOrgStore } from './fakes.js';
import { allOrgs, campaign, orgs } from './samples.js';

const viewer = (role: Role, org = orgs.bureau): AuditViewer => ({ grant: { role }, org, campaign });
const ev = (minute: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  campaignId: campaign.id,
  orgId: 'dh-school-1',
  at: new Date(Date.UTC(2019, 5, 30, 15, minute)).toISOString(), // 23:xx Beijing
  id: `e${String(minute).padStart(3, '0')}`,
  action: 'upload.accepted',
  actor: 'system:validate-upload',
  document: 'crisis-plan',
  version: 1,
  ...over,
});

async function world(events: AuditEvent[]) {
  const audit = new FakeAuditLog();
  for (const e of events) await audit.append(e);
  return { orgs: new FakeOrgStore(allOrgs), audit };
}

const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('who may read the trail', () => {
  it('the Bureau and the Centre (role city) only; a school and a District get a Chinese 403', async () => {
    const deps = await world([ev(1)]);
    for (const [role, org] of [
      ['school', orgs.dhSchool1],
      ['district', orgs.dh],
    ] as const) {
      const e = await rejection(auditTrail(deps, viewer(role, org), {}));
      expect(e).toBeInstanceOf(AppError);
      expect(e).toMatchObject({ status: 403, code: 'AUDIT_CITY_ONLY', expose: true });
      expect((e as Error).message).toMatch(/[\u4e00-\u9fff]/);
      // Not even its own org's trail.
      expect(await rejection(auditTrail(deps, viewer(role, org), { org: org.id }))).toMatchObject({ status: 403 });
    }
    expect((await auditTrail(deps, viewer('city', orgs.centre), {})).rows).toHaveLength(1);
  });
});

describe('the rows', () => {
  it('say when (Beijing), which org, what, who, which document and version, what changed, and the note', async () => {
    const deps = await world([
      ev(1),
      ev(5, {
        action: 'review.returned',
        actor: 'district:dh',
        actorName: '东湖区教科体局（旧名）',
        before: { review: 'pending' },
        after: { review: 'returned', dueAt: '2019-07-05T15:59:59.999Z', extra: { a: 1 } },
        note: '请补充危机干预流程',
      }),
      ev(7, { action: 'link.issued', actor: 'cli', orgId: 'dh', document: undefined, version: undefined, after: { tokenVersion: 1 } }),
      ev(9, { action: 'extension.granted', actor: 'city:bureau', orgId: 'dh', document: undefined, version: undefined }),
    ]);
    const view = await auditTrail(deps, viewer('city'), {});
    expect(view.campaign).toEqual({ id: campaign.id, title: campaign.title });
    expect(view.org).toBeUndefined();
    expect(view.earlier).toBeUndefined();
    expect(view.rows.map((r) => r.event.id)).toEqual(['e001', 'e005', 'e007', 'e009']);
    const [accepted, returned, issued, extended] = view.rows;
    expect(accepted).toMatchObject({ time: '2019年6月30日 23:01', orgName: '东湖区第一小学', actionLabel: '文件已接收', actorLabel: '系统（validate-upload）', documentTitle: '心理危机管理工作方案', changes: [] });
    expect(returned).toMatchObject({ actionLabel: '退回修改', actorLabel: '东湖区教科体局（旧名）' });
    expect(returned!.changes).toEqual([
      { field: 'review', label: '审核状态', before: 'pending', after: 'returned' },
      { field: 'dueAt', label: '修改期限', before: '—', after: '2019年7月5日 23:59' },
      { field: 'extra', label: 'extra', before: '—', after: '{"a":1}' },
    ]);
    expect(issued).toMatchObject({ orgName: '东湖区教科体局', actionLabel: '生成专属链接', actorLabel: '管理员（命令行）' });
    expect(issued!.documentTitle).toBeUndefined();
    // Without a recorded name, the actor's org as the registry names it now.
    expect(extended!.actorLabel).toBe('南昌市教育局');
  });

  it('changesOf lists each field once, before and after, in the order they first appear', () => {
    expect(changesOf({ before: { a: 1, b: true }, after: { b: false, c: null, tokenVersion: 2 } })).toEqual([
      { field: 'a', label: 'a', before: '1', after: '—' },
      { field: 'b', label: 'b', before: 'true', after: 'false' },
      { field: 'c', label: 'c', before: '—', after: '—' },
      { field: 'tokenVersion', label: '链接版本', before: '—', after: '2' },
    ]);
    expect(changesOf({})).toEqual([]);
  });
});

describe('paging and one org', () => {
  it('the latest 200, then back from `earlier` to the rest; the CSV (all) has every event', async () => {
    const events = Array.from({ length: AUDIT_PAGE_SIZE + 5 }, (_, i) => ev(i, { orgId: i % 2 ? 'dh-school-1' : 'dh' }));
    const deps = await world(events);
    const first = await auditTrail(deps, viewer('city'), {});
    expect(first.rows).toHaveLength(AUDIT_PAGE_SIZE);
    expect(first.rows[0]!.event.id).toBe('e005');
    expect(first.rows.at(-1)!.event.id).toBe(`e${AUDIT_PAGE_SIZE + 4}`);
    expect(first.earlier).toBe(first.rows[0]!.cursor);
    const back = await auditTrail(deps, viewer('city'), { before: first.earlier });
    expect(back.rows.map((r) => r.event.id)).toEqual(['e000', 'e001', 'e002', 'e003', 'e004']);
    expect(back.earlier).toBeUndefined();
    expect((await auditTrail(deps, viewer('city'), { all: true })).rows).toHaveLength(AUDIT_PAGE_SIZE + 5);
    // Exactly a page: no `earlier`.
    const exact = await auditTrail(await world(events.slice(0, AUDIT_PAGE_SIZE)), viewer('city'), {});
    expect(exact.rows).toHaveLength(AUDIT_PAGE_SIZE);
    expect(exact.earlier).toBeUndefined();
  });

  it('one org: its events only, named; an unknown org is a Chinese 404', async () => {
    const deps = await world([ev(1), ev(2, { orgId: 'dh', actor: 'city:centre' }), ev(3, { actor: 'district:dh' })]);
    const view = await auditTrail(deps, viewer('city'), { org: 'dh-school-1' });
    expect(view.org).toEqual({ id: 'dh-school-1', name: '东湖区第一小学' });
    expect(view.rows.map((r) => r.event.id)).toEqual(['e001', 'e003']);
    expect(view.rows[1]!.actorLabel).toBe('东湖区教科体局');
    expect(await rejection(auditTrail(deps, viewer('city'), { org: 'nobody-here' }))).toMatchObject({ status: 404, code: 'ORG_NOT_FOUND' });
  });
});

describe('CSV and page', () => {
  it('CSV: UTF-8 BOM, CRLF, a header, one row per event in time order, formulas made inert', async () => {
    const deps = await world([ev(2, { note: '=HYPERLINK("http://x")', before: { review: 'pending' }, after: { review: 'returned' } }), ev(1)]);
    const csv = auditCsv(await auditTrail(deps, viewer('city'), { all: true }));
    expect(csv.startsWith('\uFEFF时间(北京时间),机构编号,机构名称,操作,操作代码,操作人,操作人编号,材料,版本,变更,变更前(JSON),变更后(JSON),备注,记录编号\r\n')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toHaveLength(4); // header, 2 events, the final empty string
    expect(lines[1]).toBe('2019-06-30 23:01,dh-school-1,东湖区第一小学,文件已接收,upload.accepted,系统（validate-upload）,system:validate-upload,心理危机管理工作方案,1,,,,,e001');
    expect(lines[2]).toContain('审核状态：pending → returned');
    expect(lines[2]).toContain('"{""review"":""pending""}"');
    expect(lines[2]).toContain(`"'=HYPERLINK(""http://x"")"`);
  });

  it('the page: newest first, every recorded value escaped, a link back to earlier events and to the CSV', async () => {
    const events = Array.from({ length: AUDIT_PAGE_SIZE + 1 }, (_, i) => ev(i));
    events.push(ev(AUDIT_PAGE_SIZE + 1, { note: '<script>alert(1)</script>', after: { '<b>': '"x"' }, action: 'review.returned', actor: 'district:dh' }));
    const deps = await world(events);
    const view = await auditTrail(deps, viewer('city'), {});
    const html = auditPage(view);
    expect(html).toContain('<html lang="zh-CN"');
    expect(html).toContain('width=device-width');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<li title="&lt;b&gt;">&lt;b&gt;：— → &quot;x&quot;</li>');
    expect(html.indexOf(`data-id="e${AUDIT_PAGE_SIZE + 1}"`)).toBeLessThan(html.indexOf('data-id="e100"'));
    expect(html).toContain('退回修改');
    expect(html).toContain('2019年6月30日');
    expect(html).toContain(`href="/audit?before=${encodeURIComponent(view.earlier!)}"`);
    expect(html).toContain('href="/api/audit?format=csv"');
    expect(html).toContain('href="/audit?org=dh-school-1"');
    const one = auditPage(await auditTrail(deps, viewer('city'), { org: 'dh-school-1' }));
    expect(one).toContain('href="/api/audit?org=dh-school-1&amp;format=csv"');
    expect(one).toContain('查看全部机构');
    expect(auditPage(await auditTrail(await world([]), viewer('city'), {}))).toContain('暂无记录');
  });
});
