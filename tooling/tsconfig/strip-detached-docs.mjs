#!/usr/bin/env node
// Removes the JSDoc blocks of a bundled declaration file that no editor can show: a source file's
// header comment (rollup-plugin-dts keeps it, floating above whichever declaration comes next), a
// block before an import or export list, and every block but the last before a declaration
// (TypeScript documents a declaration with the last JSDoc block before it). What hovers and
// completions show is unchanged (test/strip-detached-docs.test.ts compares them); the published
// declarations are smaller. Run by each library's `build` script after tsup:
//
//   node ../../tooling/tsconfig/strip-detached-docs.mjs [dist]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** `text` (a .d.ts file) without its detached JSDoc blocks. */
export function stripDetachedDocs(text) {
  const file = ts.createSourceFile('index.d.ts', text, ts.ScriptTarget.Latest, true);
  const removed = [];
  const visit = (pos, documents) => {
    const docs = (ts.getLeadingCommentRanges(text, pos) ?? []).filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && /^\/\*\*[^/]/.test(text.slice(r.pos, r.pos + 4)));
    removed.push(...(documents ? docs.slice(0, -1) : docs));
  };
  for (const statement of file.statements) visit(statement.pos, !ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement));
  visit(file.endOfFileToken.pos, false);
  if (!removed.length) return text;
  let out = '';
  let at = 0;
  for (const r of removed) {
    out += text.slice(at, r.pos);
    // The block's own line break goes with it.
    at = text.startsWith('\n', r.end) ? r.end + 1 : r.end;
  }
  out += text.slice(at);
  return out.replace(/\n{3,}/g, '\n\n');
}

/** Strips every `.d.ts` file below `dir`; returns the bytes saved. */
export function stripDirectory(dir) {
  let saved = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const text = fs.readFileSync(file, 'utf8');
    const stripped = stripDetachedDocs(text);
    if (stripped !== text) {
      fs.writeFileSync(file, stripped);
      saved += Buffer.byteLength(text) - Buffer.byteLength(stripped);
    }
  }
  return saved;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = path.resolve(process.argv[2] ?? 'dist');
  const saved = stripDirectory(dir);
  console.log(`strip-detached-docs: ${saved} bytes of detached JSDoc removed from ${path.relative(process.cwd(), dir) || '.'}`);
}
