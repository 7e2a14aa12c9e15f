/**
 * Labelled examples pasted or dropped on the page, as CSV (a header row with `text` and `label`
 * columns; quoted fields may hold commas, doubled quotes and line breaks) or JSONL (one
 * `{"text": …, "label": …}` object a line). Every error names the line it is on and what to fix.
 * `heldOut` sets aside every k-th example of each label for evaluation (deterministic, every label
 * in both splits where it has at least two examples).
 */

export interface LabelledExample {
  text: string;
  label: string;
}

export class LabelledDataError extends Error {
  constructor(readonly line: number | undefined, message: string) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'LabelledDataError';
  }
}

export interface LabelledData {
  format: 'csv' | 'jsonl';
  examples: LabelledExample[];
  /** Label names, sorted (their index is the class id). */
  labels: string[];
}

/** Parses CSV or JSONL (JSONL when the first non-blank line starts with `{`). */
export function parseLabelled(text: string): LabelledData {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.split(/\r?\n/).find((l) => l.trim() !== '');
  if (first === undefined) throw new LabelledDataError(undefined, 'no data: paste CSV (a header `text,label`, then one example a row) or JSONL (one {"text": …, "label": …} a line), or use the sample');
  const format = first.trimStart().startsWith('{') ? 'jsonl' : 'csv';
  const examples = format === 'jsonl' ? parseJsonl(body) : parseCsvExamples(body);
  if (examples.length === 0) throw new LabelledDataError(undefined, 'the header is there but no example follows it');
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2) throw new LabelledDataError(undefined, `every example has the label "${labels[0]}": a classifier needs at least two labels`);
  return { format, examples, labels };
}

function parseJsonl(text: string): LabelledExample[] {
  const out: LabelledExample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new LabelledDataError(line, `not valid JSON (${(error as Error).message}); each line must be one object such as {"text": "…", "label": "…"}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LabelledDataError(line, 'expected an object such as {"text": "…", "label": "…"}');
    out.push(example(value as Record<string, unknown>, line));
  });
  return out;
}

function example(record: Record<string, unknown>, line: number): LabelledExample {
  const { text, label } = record;
  if (typeof text !== 'string' || text.trim() === '') throw new LabelledDataError(line, `"text" is ${text === undefined ? 'missing' : 'empty or not a string'}`);
  if (typeof label !== 'string' && typeof label !== 'number') throw new LabelledDataError(line, `"label" is ${label === undefined ? 'missing' : 'not a string or a number'}`);
  const name = String(label).trim();
  if (name === '') throw new LabelledDataError(line, '"label" is empty');
  return { text: text.trim(), label: name };
}

/** CSV rows with the line each starts on. */
function csvRows(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field.trim() !== '') throw new LabelledDataError(line, 'a quote in the middle of an unquoted field: quote the whole field and double the quotes inside ("say ""hi""")');
      field = '';
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (quoted) throw new LabelledDataError(quoteLine, 'a quoted field is never closed (a missing ")');
  if (field !== '' || fields.length) endRow();
  return rows;
}

function parseCsvExamples(text: string): LabelledExample[] {
  const rows = csvRows(text);
  const header = rows.shift()!;
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const ti = names.indexOf('text');
  const li = names.indexOf('label');
  if (ti < 0 || li < 0) throw new LabelledDataError(header.line, `the header must name a "text" and a "label" column (it has: ${header.fields.map((f) => JSON.stringify(f.trim())).join(', ')})`);
  return rows.map(({ line, fields }) => {
    if (fields.length !== names.length) throw new LabelledDataError(line, `${fields.length} fields, but the header has ${names.length} (${names.join(', ')}); quote a text that holds a comma`);
    return example({ text: fields[ti], label: fields[li] }, line);
  });
}

/**
 * Splits off every `k`-th example of each label (k = round(1 / fraction)) for evaluation; a label
 * with one example stays in training.
 */
export function heldOut(examples: readonly LabelledExample[], fraction: number): { train: LabelledExample[]; eval: LabelledExample[] } {
  const k = Math.max(2, Math.round(1 / Math.min(Math.max(fraction, 0.01), 0.5)));
  const seen = new Map<string, number>();
  const count = new Map<string, number>();
  for (const e of examples) count.set(e.label, (count.get(e.label) ?? 0) + 1);
  const train: LabelledExample[] = [];
  const evalSet: LabelledExample[] = [];
  for (const e of examples) {
    const n = (seen.get(e.label) ?? 0) + 1;
    seen.set(e.label, n);
    if (count.get(e.label)! >= 2 && n % k === 0) evalSet.push(e);
    else train.push(e);
  }
  return { train, eval: evalSet };
}

/** Three topics in plain words the tiny BERT knows (it read nineteenth-century novels). */
export const SAMPLE_CSV = `text,label
The ship sailed out of the harbour at dawn.,sea
The waves broke against the rocks all night.,sea
The captain ordered the crew to lower the boat.,sea
A storm rose and the sailors pulled in the sails.,sea
The fisherman cast his net into the deep water.,sea
The tide came in over the sand.,sea
We saw the lighthouse from the deck of the ship.,sea
The sailors rowed the boat to the shore.,sea
The wind filled the sails and the ship went on.,sea
The sea was calm and blue under the sky.,sea
She put the bread in the oven to bake.,kitchen
The cook boiled the potatoes in a large pot.,kitchen
He cut the meat with a sharp knife on the table.,kitchen
The kettle was on the fire for tea.,kitchen
She mixed the flour and the butter in a bowl.,kitchen
The servant laid the plates and cups for dinner.,kitchen
The soup was hot and the bread was fresh.,kitchen
They ate cake and drank milk at breakfast.,kitchen
The cook washed the dishes after supper.,kitchen
A smell of roast meat came from the kitchen.,kitchen
The horse galloped across the field.,horse
He rode his horse to the village.,horse
She fed the horses in the stable.,horse
The carriage was drawn by two grey horses.,horse
The rider jumped over the fence.,horse
He saddled the horse and rode away.,horse
The coachman whipped the horses up the hill.,horse
The young horse ran to the gate.,horse
She held the reins and the horse stood still.,horse
They heard the horses in the road.,horse`;
