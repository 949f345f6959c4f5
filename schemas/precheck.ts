import * as z from 'zod/mini';
import { CampaignId, DocumentKind } from './ids.js';
import { OrgId } from './orgs.js';
import { UploadId } from './plans.js';

/**
 * The advisory pre-check of an accepted plan (functions/precheck/): which of the sections the notice
 * asks for a plan's text shows. Advisory only: it never rejects, delays or marks a submission; it tells
 * the reviewer (District office, Centre) where to look first.
 */

/**
 * One section a plan should have. `patterns` are regular-expression sources (Unicode), tried on the
 * text after normalisation (functions/precheck/sections.ts: NFKC — full-width letters, digits and
 * punctuation become half-width, Kangxi radicals become the usual characters —, no whitespace), so they
 * are written with half-width punctuation and no spaces.
 * - scope 'heading' (default): the pattern must occur in a heading — a line that starts with numbering
 *   (一、 (一) 1. 1、 第一章 ① …, its head up to the first 。，：；) or a short line of its own (≤ 30
 *   characters, not ending like a sentence, no list in it: "排查、疏导、报告" in a table is not a heading). A plan names its sections in headings; the same words in a
 *   sentence ("…报告危机干预小组…") do not make a section.
 * - scope 'text': anywhere in the text (a task the plan should cover, under whatever heading).
 */
export interface SectionSpec {
  key: string;
  /** What the reviewer reads (zh-CN). */
  label: string;
  patterns: readonly string[];
  scope?: 'heading' | 'text';
}

/**
 * 心理危机管理工作方案, after attachment 2 of 洪教健字〔2019〕1号: 一、组织机构及职责; 二、心理危机管理体系 —
 * (一) 建立早期预防系统, (二) 建立早期预警系统, then "危机发生时的心理危机干预体系，以及危机发生后的危机后处理体系".
 */
export const CRISIS_PLAN_SECTIONS: readonly SectionSpec[] = [
  {
    key: 'organisation',
    label: '组织机构及职责',
    patterns: ['组织机构', '组织领导', '组织架构', '组织保障', '领导小组', '工作小组', '工作机构', '机构(及|与|和)?职责'],
  },
  {
    key: 'prevention',
    label: '早期预防',
    patterns: ['早期预防', '危机预防', '预防(体系|系统|机制|工作|措施|教育)'],
  },
  {
    key: 'warning',
    label: '早期预警',
    patterns: ['早期预警', '预警', '早期识别'],
  },
  {
    key: 'intervention',
    label: '危机干预',
    patterns: ['危机干预', '干预(体系|系统|机制|流程|程序|措施)', '危机(处置|应对|处理)', '应急(处置|处理|预案)'],
  },
  {
    key: 'aftercare',
    label: '善后处理（危机后处理）',
    patterns: ['善后', '危机后', '事后', '后期(处理|跟踪|干预|关怀)', '后续(处理|跟进|跟踪|关怀)', '跟踪(回访|随访|辅导)'],
  },
];

/**
 * 心理服务体系建设工作实施方案, after attachment 1: its five headings (一、指导思想 二、工作目标 三、组织保障
 * 四、工作任务 五、工作要求) in headings, and the nine tasks of 四、工作任务 anywhere in the text.
 */
export const SERVICE_PLAN_SECTIONS: readonly SectionSpec[] = [
  { key: 'guidance', label: '指导思想', patterns: ['指导思想', '指导原则', '总体要求', '基本原则'] },
  { key: 'goals', label: '工作目标', patterns: ['目标'] },
  { key: 'organisation', label: '组织保障', patterns: ['组织保障', '组织领导', '组织机构', '组织架构', '领导小组', '工作小组'] },
  { key: 'tasks', label: '工作任务', patterns: ['工作任务', '(主要|重点|具体)任务', '工作内容', '(主要|工作|具体)措施', '实施内容', '工作举措'] },
  { key: 'requirements', label: '工作要求', patterns: ['工作要求', '(有关|具体|实施)要求', '保障措施', '工作保障'] },
  {
    key: 'task-teaching',
    label: '任务一：心理服务贯穿教育教学全过程',
    scope: 'text',
    patterns: ['贯穿教育教学', '学科教学', '学科渗透', '渗透到(日常)?教育教学', '融入(日常)?(课堂|学科)?教学'],
  },
  { key: 'task-lessons', label: '任务二：心理健康专题教育（心理辅导课）', scope: 'text', patterns: ['专题教育', '心理辅导课', '心理健康(教育)?课'] },
  { key: 'task-publicity', label: '任务三：心理健康教育宣传活动', scope: 'text', patterns: ['宣传月', '宣传活动', '宣传教育'] },
  { key: 'task-families', label: '任务四：家校共育', scope: 'text', patterns: ['家校共育', '家校合作', '家校联动', '家校共建', '家长学校'] },
  { key: 'task-room', label: '任务五：心理辅导室设置', scope: 'text', patterns: ['心理辅导室', '心理咨询室', '心理健康(教育)?(辅导|咨询)?(室|中心)'] },
  { key: 'task-census', label: '任务六：心理健康普查建档', scope: 'text', patterns: ['普查', '心理测评', '心理筛查', '建档'] },
  { key: 'task-records', label: '任务七：学生心理成长档案', scope: 'text', patterns: ['成长档案', '心理档案', '成长信息记录'] },
  { key: 'task-crisis', label: '任务八：心理危机干预机制', scope: 'text', patterns: ['危机干预', '危机管理'] },
  { key: 'task-teachers', label: '任务九：关注教师心理健康', scope: 'text', patterns: ['教师(的)?心理健康', '教师身心健康', '教职(工|员工)(的)?心理', '教师心理'] },
];

/**
 * The sections to look for, per document kind of a campaign (local/seed/campaign-2019.json: service-plan,
 * crisis-plan). A kind not listed here is still read (its characters counted), with no sections to check.
 */
export const PRECHECK_SECTIONS: Readonly<Record<string, readonly SectionSpec[]>> = {
  'service-plan': SERVICE_PLAN_SECTIONS,
  'crisis-plan': CRISIS_PLAN_SECTIONS,
};

export const sectionsFor = (document: string): readonly SectionSpec[] => PRECHECK_SECTIONS[document] ?? [];

/**
 * - ok: text was extracted (sections checked on it);
 * - no-text: a PDF without a text layer (a scan) or an empty document — nothing to check, and the page says so;
 * - unsupported: a Word 97–2003 .doc (无法自动检查（.doc 格式）);
 * - failed: the file could not be read (damaged, encrypted, …): `detail` says why.
 */
export const PrecheckStatus = z.enum(['ok', 'no-text', 'unsupported', 'failed']);
export type PrecheckStatus = z.infer<typeof PrecheckStatus>;

export const SectionFound = z.object({ key: z.string(), label: z.string(), found: z.boolean() });
export type SectionFound = z.infer<typeof SectionFound>;

/** The stored result of one accepted version's pre-check (pk CAMPAIGN#<campaign>, sk PRECHECK#<org>#<document>#<uploadId>). */
export const PrecheckResult = z.object({
  campaignId: CampaignId,
  orgId: OrgId,
  document: DocumentKind,
  uploadId: UploadId,
  status: PrecheckStatus,
  /** Every section of the document kind, in the order above; all `found: false` unless status is 'ok'. */
  sections: z.array(SectionFound),
  /** Characters of extracted text, whitespace not counted. */
  chars: z.int().check(z.minimum(0)),
  /** PDF only: its page count. */
  pages: z.optional(z.int().check(z.minimum(0))),
  /** Why the status is not 'ok', in a few words (for the operator; the page shows its own text per status). */
  detail: z.optional(z.string()),
  /** When it was checked (domain time, UTC ISO-8601). */
  checkedAt: z.string(),
});
export type PrecheckResult = z.infer<typeof PrecheckResult>;

/** What a pre-check is about: one accepted version (the key of its object names all four). */
export type PrecheckRef = Pick<PrecheckResult, 'campaignId' | 'orgId' | 'document' | 'uploadId'>;

/** What the page shows for a status other than 'ok' (zh-CN). */
export const PRECHECK_STATUS_TEXT: Record<Exclude<PrecheckStatus, 'ok'>, string> = {
  'no-text': '未能提取文字（可能是扫描件或空文档），请人工查看',
  unsupported: '无法自动检查（.doc 格式）',
  failed: '文件无法读取，未能自动检查',
};
