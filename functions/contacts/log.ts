import { ClassId, LogId } from '../../schemas/contacts.js';
import { logPage } from '../../web/contacts/pages.js';
import { formatBeijingExcel } from '../shared/clock.js';
import { csvFile } from '../shared/csv.js';
import { readEnv } from '../shared/env.js';
import { type HttpEvent, type HttpResult, httpRoute, text } from '../shared/http.js';
import { contactReadDeps } from './deps.js';
import { DONE, personOf } from './person.js';
import { contactError, contactPage as htmlPage } from './respond.js';
import { actorOfPerson, classLabel, current, denied, exportLogs, readLog } from './service.js';
import { labelOf } from './views.js';

const env = readEnv();
const deps = contactReadDeps(env);
const person = personOf(env, deps);

async function one(event: HttpEvent): Promise<HttpResult> {
  const classId = event.pathParameters?.class ?? '';
  const logId = event.pathParameters?.log ?? '';
  const p = await person(event, `log ${classId.slice(0, 20)}/${logId.slice(0, 20)}`);
  if (!ClassId.safeParse(classId).success || !LogId.safeParse(logId).success) return denied(deps, { actor: actorOfPerson(p), name: p.name, schoolId: p.school.id }, 'malformed log address');
  const r = await readLog(deps, p, classId, logId);
  const done = event.queryStringParameters?.done;
  return htmlPage(
    200,
    logPage({
      school: p.school.name,
      classLabel: classLabel(r.klass),
      classId,
      log: r.log,
      periodLabel: labelOf(p.roster, r.log.period),
      concern: r.concern,
      mayCorrect: r.mayCorrect,
      mayAck: r.mayAck,
      staff: p.kind === 'staff',
      done: done && DONE[done] ? DONE[done] : undefined,
    }),
  );
}

/** The school's logs (staff) or the class's (head teacher) as an Excel-friendly CSV, for the growth handbooks. */
async function exportCsv(event: HttpEvent): Promise<HttpResult> {
  const p = await person(event, 'contacts export');
  const logs = await exportLogs(deps, p);
  const rows: (string | number)[][] = [['班级', '班主任', '联系日期', '周期', '联系方式', '联系对象', '涉及学生', '话题', '沟通内容', '后续跟进', '关注程度', '填写人', '填写时间', '版本']];
  for (const log of logs) {
    const c = current(log);
    const k = p.roster.classes[log.classId];
    rows.push([k ? classLabel(k) : log.classId, k?.teacher ?? '', c.date, labelOf(p.roster, log.period), c.method, c.contacted, c.students, c.topics.join('、'), c.summary, c.followUp ?? '', c.concern, c.byName, formatBeijingExcel(c.at), log.versions.length]);
  }
  const name = `家校联系记录-${p.school.name}${p.kind === 'head' ? `-${classLabel(p.entry)}` : ''}.csv`;
  return text(200, csvFile(rows), 'text/csv; charset=utf-8', { 'content-disposition': `attachment; filename="contacts.csv"; filename*=UTF-8''${encodeURIComponent(name)}` });
}

/**
 * GET /contacts/logs/{class}/{log} — one log with its versions, for its class's head teacher and the school's staff.
 * GET /contacts/export.csv — the school's logs (staff) or the class's (head teacher), for the growth handbooks.
 * Each read is recorded in the audit trail; a refused one too. (Apart from the pages' function, for its budget.)
 */
export const handler = httpRoute(
  async (event) => (event.routeKey === 'GET /contacts/export.csv' ? exportCsv(event as HttpEvent) : one(event as HttpEvent)),
  { errors: 'page', page: contactError },
);
