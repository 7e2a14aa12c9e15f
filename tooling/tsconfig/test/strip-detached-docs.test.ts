import ts from 'typescript';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without declarations
import { stripDetachedDocs } from '../strip-detached-docs.mjs';

// What rollup-plugin-dts writes: module headers floating above the next declaration, documented
// and undocumented declarations, members, an export list.
const BUNDLED = `import * as tf from '@tensorflow/tfjs-core';

/**
 * Header of module a: a file's comment, floating.
 */

/** Docs of A. */
interface A {
    /** Docs of x. */
    x: tf.Tensor;
}
/**
 * Header of module b, directly above an undocumented function: TypeScript shows it as f's doc.
 */
declare function f(a: number): void;
/** A block TypeScript does not show: another follows. */
/**
 * C's doc.
 * @example new C()
 */
declare class C {
    /** m's doc. */
    m(): void;
    /** A member's first block stays (only top-level statements are touched). */
    /** n's doc. */
    n: number;
}
/** Before an export list. */
export { A, C, f };
/** At the end of the file. */
`;

/** Every exported symbol's documentation and tags, and its members', as an editor shows them. */
function documentation(text: string): Record<string, string> {
  const host = ts.createCompilerHost({});
  const read = host.getSourceFile;
  host.getSourceFile = (name, version) => (name === 'index.d.ts' ? ts.createSourceFile(name, text, version, true) : read(name, version));
  const program = ts.createProgram(['index.d.ts'], { noLib: true, noResolve: true, types: [] }, host);
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile('index.d.ts')!)!;
  const out: Record<string, string> = {};
  const describe = (symbol: ts.Symbol, name: string) => {
    out[name] = [ts.displayPartsToString(symbol.getDocumentationComment(checker)), ...symbol.getJsDocTags(checker).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)].join(' | ');
  };
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    describe(symbol, exported.name);
    symbol.members?.forEach((member, key) => describe(member, `${exported.name}.${String(key)}`));
  }
  return out;
}

describe('stripDetachedDocs', () => {
  it('removes the blocks no editor shows and keeps what every hover shows', () => {
    const stripped: string = stripDetachedDocs(BUNDLED);
    for (const gone of ['Header of module a', 'A block TypeScript does not show', 'Before an export list', 'At the end of the file']) expect(stripped).not.toContain(gone);
    for (const kept of ['Docs of A.', 'Docs of x.', 'Header of module b', "C's doc.", '@example new C()', "m's doc.", "A member's first block stays", "n's doc."]) expect(stripped).toContain(kept);
    const before = documentation(BUNDLED);
    expect(before).toMatchObject({ A: 'Docs of A.', 'A.x': 'Docs of x.', C: "C's doc. | @example new C()", 'C.m': "m's doc.", f: expect.stringMatching(/^Header of module b/) });
    expect(documentation(stripped)).toEqual(before);
    // The declarations themselves are untouched, and nothing is left to strip.
    const code = (text: string) => text.replace(/\/\*\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ');
    expect(code(stripped)).toBe(code(BUNDLED));
    expect(stripDetachedDocs(stripped)).toBe(stripped);
  });

  it('leaves a file with nothing detached as it is', () => {
    const text = "/** Docs of g. */\ndeclare function g(): void;\nexport { g };\n";
    expect(stripDetachedDocs(text)).toBe(text);
  });
});
