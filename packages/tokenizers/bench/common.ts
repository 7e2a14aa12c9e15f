/** Shared helpers for the tokenizer benchmarks: the corpus as documents, timing, a table. */
import os from 'node:os';
import { loadCorpus } from '@tfkit/corpus';

/** The corpus cut into documents of about `size` characters at paragraph breaks. */
export function documents(maxChars: number, size = 2000): string[] {
  const text = loadCorpus({ maxChars });
  const docs: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const br = text.indexOf('\n\n', end);
    end = br < 0 || br - end > size ? end : br + 2;
    docs.push(text.slice(start, end));
    start = end;
  }
  return docs;
}

export const utf8Bytes = (docs: readonly string[]): number => docs.reduce((n, d) => n + Buffer.byteLength(d), 0);

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
