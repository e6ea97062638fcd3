#!/usr/bin/env node
/** The `tracemark` command: the program (program.ts) on this process's argv and streams. */
import { runProgram } from './program.js';

const code = await runProgram(process.argv.slice(2));
// A failure exits at once; success lets what the command started run on (serve keeps listening).
if (code !== 0) process.exit(code);
