/**
 * Test helpers: the Hugging Face fixture checkpoints (tiny, vocab 1000 with pad 0 / unk 1 /
 * cls 2 / sep 3 / mask 4) copied next to a small WordPiece tokenizer of exactly that vocabulary
 * size, so pipelines and the CLI can load them like any hub checkpoint.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixturePath } from '@tfkit/test-utils';
import { wordPieceFromVocab, type Tokenizer } from '@tfkit/tokenizers';

const WORDS = `the a an of to in on at for with by from and or but is was are were be been has have had do does did not no yes
it he she they we you i me him her them us my his their our your this that these those there here what who where when why how
cat dog bird fish cow horse mouse lion tiger bear sat ran jumped walked talked played sang looked found made took gave went
mat house tree river city road park school garden table chair door window book paper letter story song game
paris london berlin rome madrid tokyo france england germany italy spain japan alice bob carol dave john mary smith jones
big small old new good bad happy sad red blue green black white long short first last
capital country king queen name day night year time man woman child people world water fire earth
play walk talk sing look jump read writ speak teach learn`.split(/\s+/);
const SUFFIXES = ['##s', '##ed', '##ing', '##er', '##ly', '##ion', '##able', '##ness', '##e', '##en', '##y'];
const PUNCT = ['.', ',', '?', '!', "'", '-', ':', ';'];

/** A BERT-style WordPiece tokenizer with `size` ids: specials 0–4, words, subword pieces, filler. */
export function fixtureTokenizer(size = 1000): Tokenizer {
  const tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...PUNCT, ...WORDS, ...SUFFIXES];
  for (let i = 0; tokens.length < size; i++) tokens.push(`[unused${i}]`);
  return wordPieceFromVocab(new Map(tokens.map((t, i) => [t, i])), { model_max_length: 64, do_lower_case: true });
}

/** Copies a fixture checkpoint into a fresh directory and adds the tokenizer; returns the directory. */
export async function fixtureWithTokenizer(name: string, root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfkit-bert-pipe-'))): Promise<string> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of ['config.json', 'model.safetensors']) fs.copyFileSync(fixturePath('models', name, file), path.join(dir, file));
  await fixtureTokenizer().savePretrained(dir);
  return dir;
}
