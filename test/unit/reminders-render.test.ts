/**
 * The planner and the templates together, on the seeded registry (local/seed): every job the planner
 * makes on every day of June–July 2019 renders to a mail (the templates refuse an inconsistent job),
 * nobody who has done their part is mailed, and a District digest names only its own schools.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOrgsCsv } from '../../functions/orgs/csv.js';
import { foldAccepted } from '../../functions/plans/rules.js';
import { routingOf } from '../../functions/plans/routing.js';
import { cityDigestMail, districtDigestMail, reminderMail } from '../../functions/reminders/mails.js';
import { fromRegistry, planReminders as planOwing, type RegistryPlanInput } from '../../functions/reminders/plan.js';

const planReminders = (input: RegistryPlanInput) => planOwing(fromRegistry(input));
import { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { OrgSummary, Upload } from '../../schemas/plans.js';

const ROOT = resolve(import.meta.dirname, '../..');
const parsed = parseOrgsCsv(readFileSync(resolve(ROOT, 'local/seed/orgs.csv'), 'utf8'));
if (!parsed.ok) throw new Error('seed registry does not parse');
const orgs: Org[] = parsed.orgs;
const campaign = Campaign.parse(JSON.parse(readFileSync(resolve(ROOT, 'local/seed/campaign-2019.json'), 'utf8')));
const byId = new Map(orgs.map((o) => [o.id, o]));

/** Every third District school hands in both plans on 20 June; every fifth, one plan on 28 June. */
function summariesOn(now: Date): OrgSummary[] {
  const out: OrgSummary[] = [];
  orgs.filter((o) => o.kind === 'school').forEach((o, i) => {
    const docs = i % 3 === 0 ? campaign.documents : i % 5 === 0 ? campaign.documents.slice(0, 1) : [];
    const at = i % 3 === 0 ? '2019-06-20T02:00:00.000Z' : '2019-06-28T02:00:00.000Z';
    if (Date.parse(at) > now.getTime()) return;
    let s: OrgSummary | undefined;
    docs.forEach((d, n) => {
      const u: Upload = {
        campaignId: campaign.id, orgId: o.id, document: d.kind, uploadId: `${String(i).padStart(30, '0')}${n}0`, ext: 'pdf', originalName: 'x.pdf',
        declaredSize: 1, by: `school:${o.id}`, requestedAt: at, state: 'accepted', receivedAt: at, size: 1, sha256: 'a'.repeat(64), late: false,
      };
      s = foldAccepted(s, u).next ?? s;
    });
    if (s) out.push(s);
  });
  return out;
}

describe('planner × templates on the seeded registry, June–July 2019', () => {
  it('every job of every day renders; nobody complete is mailed; District digests name only their own schools', () => {
    let mails = 0;
    for (let day = Date.parse('2019-06-01T01:00:00Z'); day <= Date.parse('2019-07-31T01:00:00Z'); day += 86_400_000) {
      const now = new Date(day);
      const summaries = summariesOn(now);
      const complete = new Set(summaries.filter((s) => campaign.documents.every((d) => s.docs[d.kind]?.last)).map((s) => s.orgId));
      for (const job of planReminders({ campaign, orgs, summaries, now })) {
        const to = ['x@example.org'];
        if (job.kind === 'org') {
          expect(complete.has(job.org.id), job.key).toBe(false);
          const district = job.org.districtId ? byId.get(job.org.districtId) : undefined;
          const m = reminderMail(job, { routing: routingOf(job.org, campaign, byId.get(campaign.receiverId), district), link: 'https://x/l/t', to });
          for (const d of job.missing) expect(m.text).toContain(d.title);
        } else if (job.kind === 'district-digest') {
          for (const s of job.schools) expect(s.org.districtId, job.key).toBe(job.district.id);
          const m = districtDigestMail(job, { link: 'https://x/l/t', to });
          for (const s of job.schools) expect(m.text).toContain(s.org.name);
        } else {
          cityDigestMail(job, { link: 'https://x/l/t', to });
        }
        mails++;
      }
    }
    expect(mails).toBeGreaterThan(100);
  });
});

describe('a deadline earlier in the day than the sweep', () => {
  it('the planner’s overdue job on the deadline’s own day renders as 今天已截止, not refused', () => {
    const early = Campaign.parse({ ...JSON.parse(readFileSync(resolve(ROOT, 'local/seed/campaign-2019.json'), 'utf8')), deadline: '2019-06-30T08:00:00+08:00' });
    const jobs = planReminders({ campaign: early, orgs, summaries: [], now: new Date('2019-06-30T01:00:00Z') });
    const overdueToday = jobs.filter((j) => j.kind === 'org' && j.rule === 'overdue' && j.daysLeft === 0);
    expect(overdueToday.length).toBeGreaterThan(0);
    const job = overdueToday[0]!;
    if (job.kind !== 'org') throw new Error('not an org job');
    const m = reminderMail(job, { routing: routingOf(job.org, early, undefined, undefined), link: 'https://x/l/t', to: ['x@example.org'] });
    expect(m.subject).toContain('【已逾期】');
    expect(m.text).toContain('今天已截止');
  });
});
