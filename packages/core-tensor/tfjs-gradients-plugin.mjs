// An esbuild plugin for the tfjs-gradients bundle (tsup.config.ts). tfjs-core's gradient files import
// its ops and helpers by relative path ('../ops/mul', '../kernel_names', '../engine'); bundled as they
// are, those modules came along, a second copy of tfjs-core's ops inside tfkit (140 kB of the 140 kB
// file). Every module whose exports tfjs-core's public API also has (`tf.mul`, `tf.backend_util.*`,
// `tf.util.*`, `tf.engine()`) becomes a facade over `@tensorflow/tfjs-core`, which the bundle then
// imports (the same module instance the rest of tfkit uses, so the gradients register in the same
// engine); a module with any export the public API lacks is bundled as it is. Which is which is decided
// at build time, against the installed tfjs-core, and a build that would facade an unknown name fails.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The names `importer` imports from `specifier` with `import { a, b as c } from '…'`, or undefined
 * when it imports it any other way too (namespace, default, re-export, side effect only).
 */
function importedNames(importer, specifier) {
  const source = fs.readFileSync(importer, 'utf8');
  const quoted = `'${specifier}'`;
  const names = new Set();
  let other = false;
  for (const m of source.matchAll(/^(import|export)\b([^;]*?)from\s*('[^']*'|"[^"]*")/gms)) {
    if (m[3].slice(1, -1) !== specifier) continue;
    const named = m[1] === 'import' && /^\s*\{([^}]*)\}\s*$/.exec(m[2]);
    if (!named) {
      other = true;
      continue;
    }
    for (const part of named[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0];
      if (name) names.add(name);
    }
  }
  if (new RegExp(`^import\\s*${quoted.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm').test(source)) other = true;
  return other || names.size === 0 ? undefined : names;
}

export function tfjsPublicFacades() {
  const tf = require('@tensorflow/tfjs-core');
  const sources = [
    ['', tf],
    ['backend_util.', tf.backend_util],
    ['util.', tf.util],
  ];
  /** The public expression for an internal export, or undefined. */
  const publicName = (name) => {
    if (name === 'ENGINE') return 'engine()';
    for (const [prefix, ns] of sources) if (ns && Object.prototype.hasOwnProperty.call(ns, name)) return prefix + name;
    return undefined;
  };
  return {
    name: 'tfjs-public-facades',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!/[\\/]@tensorflow[\\/]tfjs-core[\\/]dist[\\/]/.test(args.importer)) return undefined;
        const resolved = path.resolve(path.dirname(args.importer), args.path);
        // The gradient definitions and their registration are what this bundle is for.
        if (/[\\/]gradients[\\/]|register_all_gradients|_grad(_util)?$/.test(resolved)) return undefined;
        const names = importedNames(args.importer, args.path);
        if (!names) return undefined;
        const expressions = [...names].map((n) => [n, publicName(n)]);
        if (expressions.some(([, e]) => e === undefined)) return undefined;
        return { path: `${resolved}?${[...names].sort().join(',')}`, namespace: 'tfjs-public', pluginData: expressions };
      });
      build.onLoad({ filter: /.*/, namespace: 'tfjs-public' }, (args) => {
        const direct = args.pluginData.filter(([name, expression]) => name === expression).map(([name]) => name);
        const lines = direct.length > 0 ? [`export { ${direct.join(', ')} } from '@tensorflow/tfjs-core';`] : [];
        const nested = args.pluginData.filter(([name, expression]) => name !== expression);
        if (nested.length > 0) {
          lines.push("import * as tf from '@tensorflow/tfjs-core';");
          for (const [name, expression] of nested) lines.push(`export const ${name} = tf.${expression};`);
        }
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}

/**
 * A tsup plugin that merges the bundle's `import { a as b } from "@tensorflow/tfjs-core"` statements
 * (one per facade) into one: imports are hoisted, so the module is the same, in 6 kB less.
 */
export function mergeTfjsImports() {
  return {
    name: 'merge-tfjs-imports',
    renderChunk(code) {
      const specifiers = [];
      const rest = code.replace(/import\{([^}]*)\}from"@tensorflow\/tfjs-core";/g, (_, names) => {
        specifiers.push(names);
        return '';
      });
      if (specifiers.length < 2) return undefined;
      return { code: `import{${specifiers.join(',')}}from"@tensorflow/tfjs-core";${rest}` };
    },
  };
}
