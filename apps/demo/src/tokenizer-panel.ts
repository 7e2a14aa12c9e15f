/**
 * Tokenizer playground: the text as the tokens' offsets cut it, and the list of tokens (id and
 * piece). Hovering or focusing a token highlights its characters, and the other way round.
 */
import type { Tokenizer } from '@tfkit/tokenizers';
import { byId } from './dom.js';
import { displayPiece, tokenSegments } from './text-spans.js';

export function setupTokenizerPanel(tokenizer: Tokenizer): void {
  const input = byId('tok-input', HTMLTextAreaElement);
  const textView = byId('tok-text', HTMLElement);
  const list = byId('tok-list', HTMLOListElement);
  const summary = byId('tok-summary', HTMLElement);

  /** Marks the token items and text spans of `token` (or clears the marks). */
  const highlight = (token: number | undefined) => {
    for (const node of textView.querySelectorAll<HTMLElement>('[data-tokens]')) {
      node.classList.toggle('active', token !== undefined && node.dataset['tokens']!.split(' ').includes(String(token)));
    }
    for (const item of list.children) item.classList.toggle('active', (item as HTMLElement).dataset['index'] === String(token));
  };

  const render = () => {
    const text = input.value;
    const encoding = tokenizer.encode(text, { addSpecialTokens: false });

    const spans = tokenSegments(text.length, encoding.offsets).map((segment) => {
      const span = document.createElement('span');
      span.textContent = text.slice(segment.start, segment.end);
      if (segment.tokens.length > 0) {
        span.className = `tok shade-${segment.tokens[0]! % 4}`;
        span.dataset['tokens'] = segment.tokens.join(' ');
      }
      return span;
    });
    textView.replaceChildren(...spans);

    const items = encoding.ids.map((id, i) => {
      const [start, end] = encoding.offsets[i]!;
      const piece = encoding.tokens[i]!;
      const item = document.createElement('li');
      item.tabIndex = 0;
      item.dataset['index'] = String(i);
      item.dataset['id'] = String(id);
      item.dataset['start'] = String(start);
      item.dataset['end'] = String(end);
      item.title = `token ${i + 1}: id ${id}, characters ${start}–${end}`;
      item.setAttribute('aria-label', `${piece}, id ${id}, characters ${start} to ${end}`);
      const pieceEl = document.createElement('span');
      pieceEl.className = 'piece';
      pieceEl.textContent = displayPiece(piece);
      const idEl = document.createElement('span');
      idEl.className = 'id';
      idEl.textContent = String(id);
      item.append(pieceEl, idEl);
      return item;
    });
    list.replaceChildren(...items);
    summary.textContent = `${encoding.length} tokens for ${text.length} characters (${encoding.length ? (text.length / encoding.length).toFixed(2) : '0'} characters per token)`;
  };

  const tokenOf = (target: EventTarget | null): number | undefined => {
    const item = (target as HTMLElement | null)?.closest?.('[data-index], [data-tokens]') as HTMLElement | null | undefined;
    const value = item?.dataset['index'] ?? item?.dataset['tokens']?.split(' ')[0];
    return value === undefined ? undefined : Number(value);
  };
  for (const container of [list, textView]) {
    container.addEventListener('mouseover', (e) => highlight(tokenOf(e.target)));
    container.addEventListener('mouseleave', () => highlight(undefined));
  }
  list.addEventListener('focusin', (e) => highlight(tokenOf(e.target)));
  list.addEventListener('focusout', () => highlight(undefined));

  input.addEventListener('input', render);
  render();
}
