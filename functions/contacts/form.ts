import { TOPICS } from '../../schemas/contacts.js';
import type { FormView } from '../../web/contacts/pages.js';

/**
 * The log form's fields as the JSON body: the log's fields go under `content`, the topic check boxes (topic0…topic5,
 * one name each: a field given twice is refused) become the `topics` list. Other actions' fields are the body.
 */
export function fromForm(f: Record<string, string>): unknown {
  if (f.action !== 'log') return f;
  const { action, logId, newId, date, method, contacted, students, summary, followUp, concern, ...rest } = f;
  const topics: string[] = [];
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (/^topic[0-9]$/.test(k)) topics.push(v);
    else extra[k] = v;
  }
  return { action, logId, newId, ...extra, content: { date, method, contacted, students: students ?? '', topics, summary, followUp, concern } };
}

/** What a refused log form had typed, to show it again (strings only, cut to a sane length; unknown topics dropped). */
export function typedValues(fields: Record<string, string>): FormView['values'] {
  const s = (v: string | undefined) => (v === undefined ? undefined : v.slice(0, 4000));
  const topics = Object.entries(fields)
    .filter(([k, v]) => /^topic[0-9]$/.test(k) && (TOPICS as readonly string[]).includes(v))
    .map(([, v]) => v as (typeof TOPICS)[number]);
  return {
    date: s(fields.date),
    method: s(fields.method) as never,
    contacted: s(fields.contacted) as never,
    students: s(fields.students),
    topics,
    summary: s(fields.summary),
    followUp: s(fields.followUp),
    concern: s(fields.concern) as never,
    logId: s(fields.logId),
    newId: s(fields.newId),
  };
}

/** Where a refused form is shown again: the pages' function, to which the browser re-sends the same form (307). */
export const REFUSED_PATH = '/contacts/refused';
/** The reason travels in the address: its code and its (our own, Chinese) message, at most this long. */
export const MAX_REFUSED_MESSAGE = 300;
/** A log form's largest body: a form percent-encodes a Chinese character as 9 bytes (summary 2000 + follow-up 1000 + students 60 ≈ 28 KB). */
export const LOG_FORM_MAX_BYTES = 48 * 1024;
