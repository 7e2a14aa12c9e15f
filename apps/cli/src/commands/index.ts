import type { Command } from '../command.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { tokenizeCommand } from './tokenize.js';
import { tokenizerTrainCommand } from './tokenizer-train.js';
import { trainLmCommand } from './train-lm.js';

/** Every subcommand, in the order `tfkit --help` lists them. */
export const commands: Command[] = [infoCommand, tokenizeCommand, tokenizerTrainCommand, generateCommand, trainLmCommand];
