/**
 * What a session's zip holds (service.exportContent): the latest accepted version of each org × document
 * in its scope and nothing else, paths 县区/学校/文档.扩展名 (Direct schools under 直属学校/), keys taken
 * from the status items (never from the caller), and a manifest that names each file by its path.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { incomingKey } from '../../functions/plans/rules.js';
import { exportContent, syncStatus, type Session, validateUpload } from '../../functions/plans/service.js';
import { IncomingKey } from '../../schemas/s3-events.js';
import { minimalPdf } from '../fixtures/files.js';
import { tokenSigner } from '../../functions/shared/tokens.js';
import type { Org } from '../../schemas/orgs.js';
import type { Upload } from '../../schemas/plans.js';
import { FakeAuditLog, FakeCampaignStore, FakeObjectStore, FakeOrgStore, FakeSummaryStore, FakeUploadStore, FixedClock } from './fakes.js';
import { allOrgs, campaign, keyBytes, orgs, summariesOf, upload, uploadId } from './samples.js';

const SHA = (n: number) => n.toString(16).padStart(64, '0');
const accepted = (orgId: string, document: string, n: number, at: string, late = false): Upload =>
  upload({ orgId, document, uploadId: uploadId(n), state: 'accepted', receivedAt: at, size: 1000 + n, sha256: SHA(n), late, originalName: `v${n}.pdf`, acceptedKey: 'x' });

function world() {
  const summaries = new FakeSummaryStore();
  const attempts = [
    accepted('dh-school-1', 'service-plan', 1, '2019-06-20T02:00:00.000Z'),
    accepted('dh-school-1', 'service-plan', 2, '2019-06-30T16:01:00.000Z', true), // a late correction
    accepted('dh', 'crisis-plan', 3, '2019-06-21T02:00:00.000Z'),
    accepted('xh-school-1', 'service-plan', 4, '2019-06-22T02:00:00.000Z'),
    accepted('direct-1', 'crisis-plan', 5, '2019-06-23T02:00:00.000Z'),
  ];
  for (const s of summariesOf(attempts)) summaries.items.set(`${s.campaignId}|${s.orgId}`, s);
  return {
    orgs: new FakeOrgStore(allOrgs),
    campaigns: new FakeCampaignStore([campaign]),
    uploads: new FakeUploadStore(),
    summaries,
    tokens: tokenSigner(async () => keyBytes()),
    clock: new FixedClock('2019-07-02T00:00:00.000Z'),
  };
}
const role = (o: Org) => (o.kind === 'school' ? 'school' : o.kind === 'district' ? 'district' : 'city') as Session['grant']['role'];
const session = (o: Org): Session => ({ grant: { orgId: o.id, campaignId: campaign.id, role: role(o), version: o.tokenVersion }, org: o, campaign });
const title = (kind: string) => campaign.documents.find((d) => d.kind === kind)!.title;

describe('exportContent', () => {
  it('the city: every org’s latest version, Districts by name, Direct schools under 直属学校/, a manifest row per file', async () => {
    const c = await exportContent(world(), session(orgs.bureau));
    expect(c.entries.map((e) => [e.path, e.key, e.sha256])).toEqual([
      [`东湖区教科体局/东湖区教科体局（本级）/${title('crisis-plan')}.pdf`, `accepted/${campaign.id}/dh/crisis-plan/${uploadId(3)}.pdf`, SHA(3)],
      [`东湖区教科体局/东湖区第一小学/${title('service-plan')}.pdf`, `accepted/${campaign.id}/dh-school-1/service-plan/${uploadId(2)}.pdf`, SHA(2)],
      [`西湖区教科体局/西湖区实验学校/${title('service-plan')}.pdf`, `accepted/${campaign.id}/xh-school-1/service-plan/${uploadId(4)}.pdf`, SHA(4)],
      [`直属学校/南昌市第一中学/${title('crisis-plan')}.pdf`, `accepted/${campaign.id}/direct-1/crisis-plan/${uploadId(5)}.pdf`, SHA(5)],
    ]);
    const rows = parse(c.manifestCsv.replace(/^\uFEFF/, '')) as string[][];
    expect(rows).toHaveLength(1 + c.entries.length);
    const school = rows.find((r) => r[0] === '东湖区第一小学')!;
    // Version 2, the document on time (its first version was), the correction said so, and its path.
    expect([school[3], school[8], school[10]]).toEqual(['2', '按时', c.entries[1]!.path]);
    expect(school[9]).toContain('按时提交（6月20日 10:00），7月1日 00:01 修改');
    expect(school[9]).toContain('本版为截止后的修改');
  });

  it('a District: itself and its own schools only; a school: itself only', async () => {
    const w = world();
    expect((await exportContent(w, session(orgs.dh))).entries.map((e) => e.key.split('/')[2])).toEqual(['dh', 'dh-school-1']);
    expect((await exportContent(w, session(orgs.xh))).entries.map((e) => e.key.split('/')[2])).toEqual(['xh-school-1']);
    const own = await exportContent(w, session(orgs.dhSchool1));
    expect(own.entries.map((e) => e.key.split('/')[2])).toEqual(['dh-school-1']);
    expect(own.manifestCsv).not.toContain('西湖区');
  });

  it('a school moved to another District goes with its files to the new District’s zip', async () => {
    const w = world();
    await w.orgs.upsert({ ...orgs.dhSchool1, districtId: 'xh' });
    expect((await syncStatus(w)).rerouted).toBe(1); // as the import does after upserting the orgs
    expect((await syncStatus(w)).rerouted).toBe(0);
    expect((await exportContent(w, session(orgs.dh))).entries.map((e) => e.key.split('/')[2])).toEqual(['dh']);
    const xh = await exportContent(w, session(orgs.xh));
    expect(xh.entries.map((e) => e.path)).toContain(`西湖区教科体局/东湖区第一小学/${title('service-plan')}.pdf`);
  });
});

describe('a move while a validator folds', () => {
  it('the fold that read the old route loses to the re-route and retries: the status item ends under the new route', async () => {
    const w = world();
    const objects = new FakeObjectStore();
    const pending = upload({ orgId: 'dh-school-1', document: 'crisis-plan', uploadId: uploadId(9), tokenVersion: 1 });
    w.uploads.seed(pending);
    const key = incomingKey(pending);
    const versionId = objects.put(key, minimalPdf('moved'));
    // The validator reads the status item, then the org (old route); before its write lands, the import
    // moves the school and re-routes its status item (bumping the revision).
    let moved = false;
    w.summaries.beforePut = async () => {
      if (moved) return;
      moved = true;
      await w.orgs.upsert({ ...orgs.dhSchool1, districtId: 'xh' });
      await syncStatus(w);
    };
    const ref = IncomingKey.parse(key);
    expect(await validateUpload({ ...w, objects, audit: new FakeAuditLog() }, { ...ref, versionId }, new Date())).toBe('accepted');
    const s = await w.summaries.get(campaign.id, 'dh-school-1');
    expect(s?.routeKey).toBe('D#xh');
    expect(s?.docs['crisis-plan']?.ids).toEqual([uploadId(9)]);
    expect(w.summaries.calls.lostRaces).toBe(1);
    expect((await w.summaries.listRoute(campaign.id, 'D#xh')).map((x) => x.orgId)).toEqual(['dh-school-1', 'xh', 'xh-school-1']); // the import gave the office its item too
    expect((await w.summaries.listRoute(campaign.id, 'D#dh')).map((x) => x.orgId)).toEqual(['dh', 'dh-school-2']); // dh-school-1 left; its old District keeps its own
  });
});
