import type { MonthRates, SchoolMatrix } from '../../functions/contacts/completeness.js';
import { periodLabel } from '../../functions/contacts/periods.js';
import type { GroupMonth } from '../../functions/contacts/store.js';
import { esc, layout } from '../html.js';

/**
 * Completeness pages (no content anywhere): a school's class × period matrix for its administrator and staff,
 * a month's per-school rates for a District office (or the Direct schools, for the city), the District list for
 * the city. The pictures are images drawn by the same function (`/api/contact-rates?format=svg…`).
 */

const pct = (rate: number | undefined) => (rate === undefined ? '—' : `${Math.round(rate * 100)}%`);
const CSS = `th{white-space:nowrap}.pic{overflow-x:auto;-webkit-overflow-scrolling:touch}.pic img{max-width:none;display:block}.months a{margin-right:10px}`;

export function schoolRatesPage(v: { school: string; matrix?: SchoolMatrix; term?: { start: string; end: string }; staffLink: boolean; rosterLink: boolean }) {
  const m = v.matrix;
  const body = !m
    ? `<section class="card"><p>本校尚未导入班级名册。</p>${v.rosterLink ? '<p><a class="btn" href="/roster">导入班级名册</a></p>' : ''}</section>`
    : `<section class="card"><h2>本学期完成情况</h2><p>学期：${esc(v.term?.start)} 至 ${esc(v.term?.end)}。已结束的周期中，应记录 ${m.total.expected} 个班次，已完成 ${m.total.done} 个（完成率 <strong data-rate>${pct(m.total.rate)}</strong>）。</p>
<p class="muted">“完成”指本期有至少一条记录，或班主任说明了本期无需联系。此页只显示数量，不显示记录内容。</p>
<div class="pic"><img src="/api/contact-rates?format=svg" alt="各班各周期完成情况图"></div></section>
<section class="card"><h2>连续缺记录的班级</h2>${
        m.perClass.filter((c) => c.missedInARow >= 2).length
          ? `<ul>${m.perClass
              .filter((c) => c.missedInARow >= 2)
              .map((c) => {
                const k = m.classes.find((x) => x.id === c.id);
                return `<li data-missed="${esc(c.id)}">${esc(k ? `${k.grade}${k.label}` : c.id)}（班主任 ${esc(k?.teacher ?? '')}）：连续 ${c.missedInARow} 个周期缺记录</li>`;
              })
              .join('')}</ul>`
          : '<p class="muted">没有连续两个周期缺记录的班级。</p>'
      }</section>
<section class="card"><h2>各周期</h2><div class="scroll"><table><thead><tr><th>周期</th><th>应记录</th><th>已完成</th><th>完成率</th></tr></thead><tbody>${m.perPeriod
        .map((p) => `<tr><td>${esc(periodLabel(p.period))}${p.over ? '' : '（进行中）'}</td><td>${p.expected}</td><td>${p.done}</td><td>${pct(p.rate)}</td></tr>`)
        .join('')}</tbody></table></div></section>`;
  const links = [v.staffLink ? '<a href="/contacts">返回家校联系记录</a>' : '', v.rosterLink ? '<a href="/roster">班级名册与设置</a>' : ''].filter(Boolean).join(' · ');
  return layout('家校联系完成情况', `${v.school} · 家校联系完成情况`, '', `<style>${CSS}</style>${body}${links ? `<p>${links}</p>` : ''}`);
}

export function groupRatesPage(v: { group: string; month: string; months: string[]; rates: MonthRates; names: Map<string, string>; district?: string; back?: boolean }) {
  const q = (month: string) => `month=${esc(month)}${v.district ? `&amp;district=${esc(v.district)}` : ''}`;
  const t = v.rates.total;
  const rows = [...v.rates.schools].sort((a, b) => (a.rate ?? -1) - (b.rate ?? -1));
  const body = `<section class="card"><h2>${esc(v.month.replace('-', '年'))}月</h2><p class="months">${v.months.map((m) => (m === v.month ? `<strong>${esc(m)}</strong>` : `<a href="/contact-rates?${q(m)}">${esc(m)}</a>`)).join('')}</p>
<p>${t.schools} 所学校，${t.noRoster ? `${t.noRoster} 所尚未导入名册；` : ''}已结束的周期中应记录 ${t.expected} 个班次，已完成 ${t.done} 个，完成率 <strong data-rate>${pct(t.rate)}</strong>。</p>
<p class="muted">只显示数量和完成率，不显示任何记录内容。</p>
<div class="pic"><img src="/api/contact-rates?format=svg&amp;${q(v.month)}" alt="各校完成率图"></div>
<p><a href="/api/contact-rates?format=csv&amp;${q(v.month)}">下载 CSV</a></p></section>
<section class="card"><div class="scroll"><table><thead><tr><th>学校</th><th>周期</th><th>应记录</th><th>已完成</th><th>完成率</th><th>缺记录班级</th></tr></thead><tbody>${rows
    .map(
      (s) =>
        `<tr data-school="${esc(s.schoolId)}"><td>${esc(v.names.get(s.schoolId) ?? s.schoolId)}</td>${
          s.noRoster ? '<td colspan="5" class="muted">未导入名册</td>' : `<td>${s.cadences.map((c) => (c === 'week' ? '每周' : '每月')).join('、')}</td><td>${s.expected}</td><td>${s.done}</td><td>${pct(s.rate)}</td><td>${s.missingClasses.length}</td>`
        }</tr>`,
    )
    .join('')}</tbody></table></div></section>${v.back ? '<p><a href="/contact-rates">返回全市</a></p>' : ''}`;
  return layout('家校联系完成情况', `${v.group} · 家校联系完成情况`, '', `<style>${CSS}</style>${body}`);
}

export function cityRatesPage(v: { districts: { id: string; name: string }[]; month: string; months: string[]; rows: GroupMonth[] }) {
  const byGroup = new Map(v.rows.map((g) => [g.group, g]));
  const row = (id: string, name: string) => {
    const g = byGroup.get(id);
    const cells = !g
      ? '<td colspan="4" class="muted">尚无汇总</td>'
      : g.schools === g.noRoster
        ? `<td>${g.schools}</td><td colspan="3" class="muted">未开展（没有学校导入名册）</td>`
        : `<td>${g.schools}${g.noRoster ? `（${g.noRoster} 所未导入）` : ''}</td><td>${g.expected}</td><td>${g.done}</td><td>${pct(g.expected ? g.done / g.expected : undefined)}</td>`;
    return `<tr data-group="${esc(id)}"><td><a href="/contact-rates?district=${esc(id)}&amp;month=${esc(v.month)}">${esc(name)}</a></td>${cells}</tr>`;
  };
  const body = `<section class="card"><h2>${esc(v.month.replace('-', '年'))}月各县区家校联系完成率</h2><p class="months">${v.months.map((m) => (m === v.month ? `<strong>${esc(m)}</strong>` : `<a href="/contact-rates?month=${esc(m)}">${esc(m)}</a>`)).join('')}</p>
<p class="muted">每月 1 日汇总上月数据；只显示数量和完成率，不显示任何记录内容。点击县区查看各校（含本月至今）。</p>
${v.rows.length ? `<div class="pic"><img src="/api/contact-rates?format=svg&amp;month=${esc(v.month)}" alt="各县区完成率图"></div>` : ''}
<div class="scroll"><table><thead><tr><th>县区</th><th>学校</th><th>应记录班次</th><th>已完成</th><th>完成率</th></tr></thead><tbody>${v.districts.map((d) => row(d.id, d.name)).join('')}${row('direct', '直属学校')}</tbody></table></div></section>`;
  return layout('家校联系完成情况', '全市 · 家校联系完成情况', '', `<style>${CSS}</style>${body}`);
}
