// `node --import ./tooling/embedded/hooks.mjs script.ts`: the same hooks as ./register.mjs (the name
// the BART, seq2seq, prompt and quantize scripts and their model cards use).
import './register.mjs';
