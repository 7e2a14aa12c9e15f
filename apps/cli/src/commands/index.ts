import type { Command } from '../command.js';
import { classifyCommand } from './classify.js';
import { evalCommand } from './eval.js';
import { fillMaskCommand } from './fill-mask.js';
import { finetuneCommand } from './finetune.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { nerCommand } from './ner.js';
import { qaCommand } from './qa.js';
import { tokenizeCommand } from './tokenize.js';
import { tokenizerTrainCommand } from './tokenizer-train.js';
import { trainLmCommand } from './train-lm.js';

/** Every subcommand, in the order `tfkit --help` lists them. */
export const commands: Command[] = [infoCommand, tokenizeCommand, tokenizerTrainCommand, generateCommand, trainLmCommand, finetuneCommand, evalCommand, fillMaskCommand, classifyCommand, nerCommand, qaCommand];
