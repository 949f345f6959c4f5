/**
 * The invitation flow as a school meets it: the mail the seeded runtime sent (read from the SES
 * emulator's store), the link, the session cookie, the upload page; re-sending sends nothing.
 * Read-only on the seeded orgs.
 */
import { describe, expect, it } from 'vitest';
import type { Org } from '../../schemas/orgs.js';
import { call, HAN, openLink, seedCampaign, SESSION_COOKIE, useRuntime } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();

interface StoredMail {
  from: string;
  destination: { to: string[] | string };
  subject: string;
  body: { text: string; html: string };
}
const store = async () => {
  const r = await fetch(`${rt.sesUrl}/store`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { emails: StoredMail[] }).emails;
};
const recipients = (m: StoredMail) => [m.destination.to].flat().map((a) => String(a).toLowerCase());
/** Invitations only: other files' tests mail the same seeded orgs (the Centre gets bundles, schools receipts). */
const isInvitation = (m: StoredMail) => /^【(报送情况|请于.+前报送)】/.test(m.subject);
const mailsTo = (mails: StoredMail[], org: Org) => mails.filter((m) => isInvitation(m) && org.contacts.some((c) => recipients(m).includes(c.email.toLowerCase())));
const linkIn = (m: StoredMail) => {
  const found = m.body.text.match(new RegExp(`${rt.baseUrl.replace(/[.:/]/g, '\\$&')}/l/[A-Za-z0-9_.-]+`, 'g')) ?? [];
  expect(new Set(found).size, m.body.text).toBe(1);
  return found[0] as string;
};

describe('invitations', () => {
  it('every seeded invitee got exactly one mail', async () => {
    const mails = await store();
    const orgs = (await rt.ops.listOrgs()).filter((o) => !o.id.startsWith('it-') && o.contacts.length > 0);
    const invitees = orgs.filter((o) => o.kind !== 'centre' || o.id === seeded.receiverId);
    expect(invitees.length).toBeGreaterThan(10);
    for (const o of invitees) expect(mailsTo(mails, o), o.id).toHaveLength(1);
  });

  it("a school's mail carries its link; the link opens a session and the upload page shows what to hand in", async () => {
    const orgs = await rt.ops.listOrgs();
    const school = orgs.find((o) => o.kind === 'school' && o.districtId && !o.id.startsWith('it-') && o.contacts.length > 0) as Org;
    expect(school).toBeDefined();
    const [mail] = mailsTo(await store(), school);
    expect(mail).toBeDefined();
    const m = mail as StoredMail;
    expect(m.subject).toContain(seeded.title);
    expect(m.subject).toContain('2019年6月30日');
    expect(m.body.text).toContain(school.name);
    expect(m.body.text).toContain('2019年6月30日 23:59');
    for (const d of seeded.documents) expect(m.body.text).toContain(d.title);
    const link = linkIn(m);
    expect(m.body.html).toContain(`href="${link}"`);

    // Where the plans go: the school's own District office, its contact with a phone, and the Centre.
    const office = orgs.find((o) => o.id === school.districtId) as Org;
    const officeContact = office.contacts.find((c) => c.phone) ?? office.contacts[0];
    expect(m.body.text).toContain(`报送路径：本校的方案先由${office.name}收齐、审核，再由其统一报送`);
    expect(m.body.text).toContain(`${office.name} ${officeContact?.name}（电话 ${officeContact?.phone}）`);
    expect(m.body.text).toContain('魏洪');
    for (const other of orgs.filter((o) => o.kind === 'district' && o.id !== office.id)) expect(m.body.text).not.toContain(other.name);

    const opened = await openLink(link);
    expect(opened.status).toBe(302);
    expect(opened.res.headers.get('location')).toBe('/upload');
    expect(opened.res.headers.get('referrer-policy')).toBe('no-referrer');
    const attrs = (opened.setCookie as string).split(/;\s*/);
    expect(attrs[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    expect(attrs).toContain('HttpOnly');
    expect(attrs).toContain('SameSite=Lax');
    expect(attrs).toContain('Path=/');
    // The session is not the link token: the link leaves the address bar and the cookie carries its own token.
    expect(attrs[0]?.slice(SESSION_COOKIE.length + 1)).not.toBe(link.split('/l/')[1]);

    const page = await call(rt, '/upload', { cookie: opened.cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain(school.name);
    expect(page.text).toContain(seeded.title);
    expect(page.text).toContain('2019年6月30日 23:59');
    for (const d of seeded.documents) expect(page.text).toContain(d.title);
    expect(page.text).toContain('魏洪');
    expect(page.text).toContain('0791-86612885');
    // No other school's name on the page.
    const other = orgs.find((o) => o.kind === 'school' && o.id !== school.id && !o.id.startsWith('it-')) as Org;
    expect(page.text).not.toContain(other.name);

    // The link can be opened again (a second device) and GET / with the session goes to the upload page.
    expect((await openLink(link)).status).toBe(302);
    const home = await call(rt, '/', { cookie: opened.cookie });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/upload');
  });

  it('every mail goes out From the Centre as an RFC 2047 encoded word (AWS SES refuses a raw Chinese name)', async () => {
    const mails = await store();
    expect(mails.length).toBeGreaterThan(10);
    const configured = /^(.*?)\s*<(.+)>$/.exec(String(rt.env.MAIL_FROM));
    expect(configured?.[1]).toMatch(HAN);
    for (const m of mails) {
      expect(m.from).toMatch(/^(=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)* <[^<>\s]+>$/);
      const [, words = '', address] = /^(.*) <(.*)>$/.exec(m.from) ?? [];
      const name = Buffer.concat(words.split(' ').map((w) => Buffer.from(w.slice('=?UTF-8?B?'.length, -2), 'base64'))).toString('utf8');
      expect(name).toBe(configured?.[1]);
      expect(address).toBe(configured?.[2]);
    }
  });

  it("the Bureau's link opens the status page", async () => {
    const bureau = (await rt.ops.listOrgs()).find((o) => o.kind === 'bureau') as Org;
    const [mail] = mailsTo(await store(), bureau);
    expect(mail).toBeDefined();
    const opened = await openLink(linkIn(mail as StoredMail));
    expect(opened.status).toBe(302);
    expect(opened.res.headers.get('location')).toBe('/status');
    const page = await call(rt, '/status', { cookie: opened.cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain(seeded.title);
  });

  it('sending the invitations again sends nothing new', async () => {
    const before = (await store()).filter(isInvitation).length;
    const report = await rt.ops.sendInvites(seeded.id);
    expect(report.queued).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(report.already.length).toBeGreaterThan(10);
    expect((await store()).filter(isInvitation).length).toBe(before);
  });
});
