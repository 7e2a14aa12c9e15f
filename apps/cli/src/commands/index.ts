import type { Command } from '../command.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { trainLmCommand } from './train-lm.js';

/** Every subcommand, in the order `tfkit --help` lists them. */
export const commands: Command[] = [infoCommand, generateCommand, trainLmCommand];
