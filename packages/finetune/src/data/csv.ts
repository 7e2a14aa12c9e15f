/** A small RFC 4180 CSV reader: quoted fields, doubled quotes, newlines inside quotes, CRLF. */
import { FinetuneError } from '../errors.js';

export interface CsvOptions {
  /** Field separator (default `,`; `\t` for TSV). */
  delimiter?: string;
  /** Column names; by default the first row is the header. */
  columns?: string[];
  /** File name for error messages. */
  source?: string;
}

/** Rows as objects keyed by column name; every value is a string. */
export function parseCsv(text: string, options: CsvOptions = {}): Record<string, string>[] {
  const rows = parseRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, options.delimiter ?? ',');
  const source = options.source ?? 'CSV';
  const header = options.columns ?? rows.shift();
  if (!header) return [];
  return rows.map((row, i) => {
    if (row.length !== header.length) {
      const line = i + (options.columns ? 1 : 2);
      throw new FinetuneError(`${source}: row ${line} has ${row.length} fields but the header has ${header.length} (${header.join(', ')})`);
    }
    return Object.fromEntries(header.map((h, j) => [h, row[j] as string]));
  });
}

function parseRows(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += c;
    i++;
  }
  if (field !== '' || row.length) endRow();
  return rows;
}
