/**
 * The "Every family" view's tasks, their embedded models, and the answer each shows, as one string
 * (`data-answer` on the page). The end-to-end test computes the same string from @tfkit/all's
 * pipeline in Node, so the page's answer is checked against what users get there.
 */
export const FAMILY_TASKS = {
  'fill-mask': { model: 'tiny-bert', pipeline: 'fill-mask' },
  ner: { model: 'tiny-bert-ner', pipeline: 'token-classification' },
  qa: { model: 'tiny-bert-qa', pipeline: 'question-answering' },
  translate: { model: 'tiny-bart-translation', pipeline: 'translation' },
  summarize: { model: 'tiny-bart-summarization', pipeline: 'summarization' },
  classify: { model: 'tiny-vit-fashion', pipeline: 'image-classification' },
} as const;

export type FamilyTask = keyof typeof FAMILY_TASKS;

export interface FillMaskAnswer { tokenStr: string; score: number; sequence?: string }
export interface EntityAnswer { entityGroup: string; word?: string; start: number; end: number; score: number }
export interface QaAnswer { answer: string; start: number; end: number; score: number }
export interface TranslationAnswer { translationText: string }
export interface SummaryAnswer { summaryText: string }
export interface LabelAnswer { label: string; score: number }

/** What each task's pipeline call returns for one input (the fields the page uses). */
export interface FamilyResults {
  'fill-mask': FillMaskAnswer[];
  ner: EntityAnswer[];
  qa: QaAnswer;
  translate: TranslationAnswer[];
  summarize: SummaryAnswer[];
  classify: LabelAnswer[];
}

/** Call options, the same on the page and in the Node check. */
export const FAMILY_OPTIONS = {
  'fill-mask': { topK: 5 },
  ner: { aggregationStrategy: 'simple' },
  qa: {},
  translate: { doSample: false, maxNewTokens: 32 },
  summarize: { doSample: false, maxNewTokens: 72 },
  classify: { topK: 3 },
} as const;

/** The answer as one comparable string: tokens, labels, spans or text, in the pipeline's order (no scores). */
export function familyAnswer<T extends FamilyTask>(task: T, result: FamilyResults[T]): string {
  switch (task) {
    case 'fill-mask':
      return (result as FamilyResults['fill-mask']).map((c) => c.tokenStr.trim()).join(' | ');
    case 'ner':
      return (result as FamilyResults['ner']).map((e) => `${e.entityGroup}[${e.start},${e.end})`).join(' | ');
    case 'qa': {
      const a = result as FamilyResults['qa'];
      return `${a.answer}[${a.start},${a.end})`;
    }
    case 'translate':
      return (result as FamilyResults['translate']).map((t) => t.translationText.trim()).join(' | ');
    case 'summarize':
      return (result as FamilyResults['summarize']).map((t) => t.summaryText.trim()).join(' | ');
    default:
      return (result as FamilyResults['classify']).map((l) => l.label).join(' | ');
  }
}
