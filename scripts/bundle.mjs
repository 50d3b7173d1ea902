#!/usr/bin/env node
// Builds dist/rewind.cjs: the CLI's modules (dist/src, as tsc emitted them) joined into CommonJS
// files, which bin/rewind loads. Node 20's ES module loader costs about a millisecond per module on a
// loaded machine (resolution, an asynchronous read, a package scope lookup each), and `rewind replay`
// loaded over a hundred; a CommonJS file is one read and one compile. Run by `npm run build:ts`
// after tsc.
//
// Split where the code splits itself: dist/rewind.cjs holds main.js and what it imports statically;
// each module imported dynamically (`await import('./record-command.js')`: the commands, replay's
// debugger half) starts a chunk, dist/rewind-chunks/NAME.cjs, with the modules it needs that the
// main file lacks, so a command reads and compiles only its own code (record: about half of it;
// --version: none); a chunk is compiled with V8's code cache, kept per chunk file under
// ~/.cache/rewind/code (see __rewind_load_chunk below). A module several chunks need is in each; it is evaluated once, from whichever
// chunk came first. Modules no entry reaches go to a last chunk, so every module is somewhere.
//
// Each module is converted from ES module to CommonJS syntax by TypeScript's own single-file
// transform (typescript is already the build's compiler; no esModuleInterop: `import * as fs` is the
// module itself, not a copy of its bindings), comments dropped, and wrapped in a function
// that gets its exports, a require for its relative imports (resolved to the bundle's module ids at
// build time, evaluated on first use, as ESM evaluates them on import) and `import.meta.url` = the
// URL of its file in dist/src,
// so code that finds files from its own location (build/, node_modules) finds the same ones.
// Test files are left out. Nothing else changes: the modules in dist/src stay the reference (tests
// import them), and bin/rewind falls back to them when the bundle is missing or older than them.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const ENTRY = 'src/cli/main.js';

function modules(dir) {
  const found = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'testing') found.push(...modules(p));
    } else if (e.name.endsWith('.js') && !e.name.endsWith('.test.js') && !e.name.endsWith('.test-util.js')) {
      found.push(p);
    }
  }
  return found.sort();
}

const META = '__rewind_import_meta_url';

/** Each module: its CommonJS function text, and the modules it imports statically and dynamically. */
const mods = new Map();
for (const file of modules(join(dist, 'src'))) {
  const id = relative(dist, file).split(sep).join('/');
  let text = readFileSync(file, 'utf8');
  if (text.includes(META)) throw new Error(`bundle: ${id} uses the name ${META}`);
  const resolveSpec = (spec) => posix.join(posix.dirname(id), spec);
  const statics = new Set();
  const dynamics = new Set();
  // tsc's output: an import or export ... from per statement, ended by ';'. A miss cannot go unseen:
  // the runtime below finds any module in the chunks, and a false match fails the build.
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;'"]*?\bfrom\s*(['"])(\.[^'"]+)\1/gm)) statics.add(resolveSpec(m[2]));
  for (const m of text.matchAll(/^\s*import\s*(['"])(\.[^'"]+)\1/gm)) statics.add(resolveSpec(m[2]));
  for (const m of text.matchAll(/\bimport\(\s*(['"])(\.[^'"]+)\1\s*\)/g)) dynamics.add(resolveSpec(m[2]));
  text = text.replaceAll('import.meta.url', META);
  if (/\bimport\.meta\b/.test(text)) throw new Error(`bundle: ${id} uses import.meta beyond import.meta.url`);
  const out = ts.transpileModule(text, {
    fileName: id,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, removeComments: true, sourceMap: false },
  });
  if (out.diagnostics?.length) {
    throw new Error(`bundle: ${id}: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, '\n')}`);
  }
  // Relative requires resolved here, once, to module ids: at run time a require is a table lookup
  // (resolving them there cost node:path work at every call).
  const code = out.outputText.replace(/^\/\/# sourceMappingURL=.*$/m, '')
    .replace(/\brequire\((['"])(\.[^'"]+)\1\)/g, (_, q, spec) => `require(${JSON.stringify(resolveSpec(spec))})`);
  mods.set(id, { code: `${JSON.stringify(id)}: function (exports, require, module, ${META}) {\n${code}},\n`, statics, dynamics });
}
for (const [id, m] of mods) {
  for (const dep of [...m.statics, ...m.dynamics]) if (!mods.has(dep)) throw new Error(`bundle: ${id} imports ${dep}, which is not in dist/src`);
  for (const r of m.code.matchAll(/\brequire\("(src\/[^"]+)"\)/g)) if (!mods.has(r[1])) throw new Error(`bundle: ${id} requires ${r[1]}, which is not in dist/src`);
  // Its import.meta.url is the directory's URL and the id joined, which pathToFileURL would give
  // only for ids of these characters (nothing to escape).
  if (!/^[A-Za-z0-9._\/-]+$/.test(id)) throw new Error(`bundle: module id ${id} has characters a file URL escapes`);
}

/** id and every module it imports statically, transitively. */
function closure(id, into = new Set()) {
  if (into.has(id)) return into;
  into.add(id);
  for (const dep of mods.get(id).statics) closure(dep, into);
  return into;
}

const main = closure(ENTRY);
const entries = [...new Set([...mods.values()].flatMap((m) => [...m.dynamics]))].filter((e) => !main.has(e)).sort();
const chunks = new Map(); // name -> module ids
const chunkOf = {}; // module id -> the chunk to load for it: its own for an entry, else the first holding it
for (const e of entries) {
  const name = e.replace(/^src\//, '').replace(/\.js$/, '').replaceAll('/', '-');
  chunks.set(name, [...closure(e)].filter((id) => !main.has(id)).sort());
  chunkOf[e] = name;
}
const placed = new Set([...main, ...[...chunks.values()].flat()]);
const rest = [...mods.keys()].filter((id) => !placed.has(id));
if (rest.length) chunks.set('unreached', rest);
for (const [name, ids] of chunks) for (const id of ids) chunkOf[id] ??= name;

// Pure ASCII: V8 keeps the source as a one-byte string and node decodes it on a fast path (one
// '—' in a message made the whole file a two-byte string, about 8 ms to read). The non-ASCII
// characters left after transpiling are all in string and template literals (comments are dropped),
// where \uXXXX means the same character; only a tagged template's raw text would see the
// difference, so String.raw is refused.
function ascii(text) {
  if (/\bString\.raw\b/.test(text)) throw new Error('bundle: String.raw would see escaped characters');
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function writeAtomically(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

const chunkDir = join(dist, 'rewind-chunks');
rmSync(chunkDir, { recursive: true, force: true });
mkdirSync(chunkDir, { recursive: true });
// A chunk file is the function expression the loader compiles, as it is: wrapped here rather than at
// each start, where joining the wrapper to half a megabyte of source made V8 copy it into a flat
// string first (~1.5 ms of a start on a 2-vCPU VM).
for (const [name, ids] of chunks) {
  writeAtomically(join(chunkDir, `${name}.cjs`),
    ascii(`(function (exports, require, module, __filename, __dirname) {'use strict';\n// Generated by scripts/bundle.mjs from dist/src: do not edit.\nmodule.exports = {\n${ids.map((id) => mods.get(id).code).join('')}};\n})`));
}

const bundle = `'use strict';
// Generated by scripts/bundle.mjs from dist/src: do not edit.
const __rewind_modules = {
${[...main].sort().map((id) => mods.get(id).code).join('')}};
const __rewind_chunk_of = ${JSON.stringify(chunkOf)};
const __rewind_path = require('node:path');
const __rewind_url = require('node:url');
const __rewind_loaded = new Map();
const __rewind_externals = new Map();
// A module from outside the bundle (node:fs…), as an ES module import sees it: its exports, and the
// same object as its default export (\`import net from 'node:net'\`).
function __rewind_external(spec) {
  let m = __rewind_externals.get(spec);
  if (!m) {
    const exports = require(spec);
    m = Object.create(exports, { default: { value: exports } });
    __rewind_externals.set(spec, m);
  }
  return m;
}
const __rewind_base = __rewind_url.pathToFileURL(__dirname).href + '/';
// A chunk is compiled with V8's code cache: the code V8 compiled for it in an earlier run (the
// functions that ran, not only the top level), kept under $XDG_CACHE_HOME/rewind/code (default
// ~/.cache/rewind/code) in a file named by the chunk file's identity (device, inode, size,
// modification time: a build writes each chunk anew) and node's version. V8 itself refuses data made
// by another V8 version or with other flags (it checks the source only by its length, hence the
// identity in the name); refused or missing data is made again when the process exits, replacing the
// chunk's older entries. A cache that cannot be read or written only costs the compile.
function __rewind_load_chunk(name) {
  const fs = require('node:fs');
  const file = __rewind_path.join(__dirname, 'rewind-chunks', name + '.cjs');
  const source = fs.readFileSync(file, 'latin1'); // pure ASCII (see ascii() in scripts/bundle.mjs)
  let cacheDir = null;
  let cacheFile = null;
  let cachedData;
  try {
    const st = fs.statSync(file, { bigint: true });
    cacheDir = __rewind_path.join(process.env.XDG_CACHE_HOME || __rewind_path.join(require('node:os').homedir(), '.cache'), 'rewind', 'code');
    cacheFile = __rewind_path.join(cacheDir, name + '-' + st.dev + '-' + st.ino + '-' + st.size + '-' + st.mtimeNs + '-' + process.version + '.bin');
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const vm = require('node:vm');
  const script = new vm.Script(source, { filename: file, cachedData }); // a function expression (see the chunks' writing)
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        for (const old of fs.readdirSync(cacheDir)) if (old.startsWith(name + '-')) fs.rmSync(__rewind_path.join(cacheDir, old), { force: true });
        const tmp = cacheFile + '.' + process.pid;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // a read-only home: compile again next time
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, require, module, file, __rewind_path.dirname(file));
  return module.exports;
}
function __rewind_load(id) {
  const loaded = __rewind_loaded.get(id);
  if (loaded) return loaded.exports;
  if (!__rewind_modules[id] && __rewind_chunk_of[id]) {
    const chunk = __rewind_load_chunk(__rewind_chunk_of[id]);
    for (const other of Object.keys(chunk)) __rewind_modules[other] ??= chunk[other];
  }
  const define = __rewind_modules[id];
  if (!define) throw new Error('rewind bundle: no module ' + id);
  const module = { exports: {} };
  __rewind_loaded.set(id, module);
  define.call(undefined, module.exports, __rewind_require, module, __rewind_base + id);
  return module.exports;
}
// A module's require: the bundle's ids (its relative requires were resolved at build time) or a
// module from outside.
function __rewind_require(spec) {
  return spec.startsWith('src/') ? __rewind_load(spec) : __rewind_external(spec);
}
__rewind_load(${JSON.stringify(ENTRY)});
`;

// Last, so that bin/rewind, which compares the main file's time with dist/src's, never runs it
// with chunks of an older build.
writeAtomically(join(dist, 'rewind.cjs'), ascii(bundle));
