import type { Command } from '../command.js';
import { infoCommand } from './info.js';

/** Every subcommand, in the order `tfkit --help` lists them. */
export const commands: Command[] = [infoCommand];
