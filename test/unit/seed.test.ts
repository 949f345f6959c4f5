import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { parseOrgsCsv } from '../../functions/orgs/csv.js';
import { Campaign } from '../../schemas/campaigns.js';
import { DirectKind, type Org, RESERVED_IDS } from '../../schemas/orgs.js';

const read = (name: string) => readFileSync(new URL(`../../local/seed/${name}`, import.meta.url), 'utf8');

function seedOrgs(): Org[] {
  const r = parseOrgsCsv(read('orgs.csv'));
  if (!r.ok) throw new Error(`local/seed/orgs.csv is invalid: ${JSON.stringify(r.errors)}`);
  return r.orgs;
}

const DISTRICT_IDS = [
  'd-donghu',
  'd-xihu',
  'd-qingyunpu',
  'd-qingshanhu',
  'd-xinjian',
  'd-honggutan',
  'd-nanchangxian',
  'd-jinxian',
  'd-anyi',
  'd-gaoxin',
  'd-jingkai',
  'd-wanli',
  'd-xiaolan',
];

describe('local/seed/orgs.csv', () => {
  it('is UTF-8 with a BOM (so Excel opens it) and parses without error', () => {
    expect(read('orgs.csv').startsWith('\uFEFFid,name,kind,')).toBe(true);
    expect(seedOrgs().length).toBeGreaterThan(50);
  });

  it('imports without warnings (every District office and school can be invited) and uses no reserved id', () => {
    const r = parseOrgsCsv(read('orgs.csv'));
    expect(r.ok && r.warnings).toEqual([]);
    for (const o of seedOrgs()) expect(RESERVED_IDS, o.id).not.toContain(o.id);
  });

  it('has the Bureau and the Centre with 魏洪 / 0791-86612885', () => {
    const orgs = seedOrgs();
    expect(orgs.filter((o) => o.kind === 'bureau').map((o) => [o.id, o.name])).toEqual([['bureau', '南昌市教育局']]);
    const centres = orgs.filter((o) => o.kind === 'centre');
    expect(centres.map((o) => [o.id, o.name])).toEqual([['centre', '南昌市未成年人心理健康辅导中心']]);
    expect(centres[0]!.contacts).toEqual([expect.objectContaining({ name: '魏洪', phone: '0791-86612885' })]);
    expect(orgs.find((o) => o.id === 'bureau')!.contacts.length).toBeGreaterThanOrEqual(1);
  });

  it('has every District office of Nanchang, named 教科体局 (counties/districts) or 教体办 (zones), each with ≥ 3 schools', () => {
    const orgs = seedOrgs();
    const districts = orgs.filter((o) => o.kind === 'district');
    expect(districts.map((d) => d.id).sort()).toEqual([...DISTRICT_IDS].sort());
    for (const d of districts) {
      expect(d.name).toMatch(/(教科体局|教体办)$/);
      const schools = orgs.filter((o) => o.kind === 'school' && o.districtId === d.id);
      expect(schools.length, d.id).toBeGreaterThanOrEqual(3);
      expect(schools.length, d.id).toBeLessThanOrEqual(4);
      for (const s of schools) expect(s.id.startsWith(`s-${d.id.slice(2)}-`), s.id).toBe(true);
      expect(schools.some((s) => /小学$/.test(s.name)), d.id).toBe(true);
      expect(schools.some((s) => /中学$/.test(s.name)), d.id).toBe(true);
      expect(schools.some((s) => /(九年一贯制学校|实验学校)$/.test(s.name)), d.id).toBe(true);
    }
    for (const id of ['d-gaoxin', 'd-jingkai', 'd-xiaolan']) expect(districts.find((d) => d.id === id)!.name).toMatch(/教体办$/);
  });

  it('has Direct schools of each kind: ≥ 3 局属, ≥ 2 省属事业单位办, ≥ 2 市管民办', () => {
    const orgs = seedOrgs();
    const count = (k: DirectKind) => orgs.filter((o) => o.kind === 'school' && o.directKind === k).length;
    expect(count('局属学校')).toBeGreaterThanOrEqual(3);
    expect(count('省属事业单位办学校')).toBeGreaterThanOrEqual(2);
    expect(count('市管民办学历教育学校')).toBeGreaterThanOrEqual(2);
    for (const o of orgs.filter((x) => x.directKind)) expect(o.id).toMatch(/^s-direct-/);
    expect(DirectKind.options.every((k) => count(k) > 0)).toBe(true);
  });

  it('gives every org a contact; only example.com/.org/.net e-mails, unique; phones 0791-8xxxxxxx', () => {
    const orgs = seedOrgs();
    const emails: string[] = [];
    for (const o of orgs) {
      expect(o.contacts.length, o.id).toBeGreaterThanOrEqual(1);
      expect(o.contacts.length, o.id).toBeLessThanOrEqual(2);
      for (const c of o.contacts) {
        expect(c.email, o.id).toMatch(/^[^@\s]+@example\.(com|org|net)$/);
        expect(c.phone, o.id).toMatch(/^0791-8\d{7}$/);
        expect(c.name, o.id).toMatch(/^[\u4e00-\u9fff]{2,4}$/);
        emails.push(c.email.toLowerCase());
      }
    }
    expect(new Set(emails).size).toBe(emails.length);
  });
});

describe('local/seed/campaign-2019.json', () => {
  it('is a valid Campaign: the notice 洪教健字〔2019〕1号, two plans, due 30 June 2019 Beijing time, to the Centre', () => {
    const c = Campaign.parse(JSON.parse(read('campaign-2019.json')));
    expect(c).toEqual({
      id: '2019-plans',
      title: '南昌市中小学心理服务体系建设两个实施方案报送',
      noticeNo: '洪教健字〔2019〕1号',
      documents: [
        { kind: 'service-plan', title: '心理服务体系建设工作实施方案' },
        { kind: 'crisis-plan', title: '心理危机管理工作方案' },
      ],
      deadline: '2019-06-30T15:59:59.999Z',
      audience: 'all',
      receiverId: 'centre',
      contact: { name: '魏洪', phone: '0791-86612885' },
    });
    const receiver = seedOrgs().find((o) => o.id === c.receiverId);
    expect(receiver?.kind).toBe('centre');
  });
});
