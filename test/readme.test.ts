/**
 * Every example of README.md and docs/*.md runs as it is written.
 *
 * How blocks are found: fenced code blocks (``` or ~~~), read by the fence's
 * info string, whose first word is the language and the rest are flags.
 * - `ts`, `typescript`, `js`, `javascript`: each block is written verbatim to a
 *   file of its own in a fresh scratch folder and run with tsx, `backprop-mlp`
 *   (and its `/interop` and `/wasm` entries) resolving to src/ through the paths
 *   of tsconfig.json. Every such block runs unless its info string says `no-run`
 *   (```ts no-run, for a block that needs a browser or a service).
 * - `sh`, `bash`, `shell`: run only when the info string says `run` (```sh run),
 *   with bash -e, in one scratch folder per document, in the document's order (a
 *   reader following the page), so that a later block may use what an earlier one
 *   wrote into out/. `npx backprop` finds the clone by walking up from there.
 *   Other shell blocks (installing, cloning, `npm test`) are shown, not run.
 * - Other languages (json, text, python) are not run.
 *
 * Scratch folders live under .tmp/ (ignored by git), never in the source tree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, spawnCollect } from './fixtures/cli/run.js';

const SCRATCH = join(ROOT, '.tmp', `readme-${process.pid}`);
const BLOCK_TIMEOUT = 600_000;

/** One fenced block: where it starts, its language, flags and text. */
export interface Block {
  file: string;
  line: number;
  lang: string;
  flags: string[];
  code: string;
}

const SCRIPT_LANGS = new Set(['ts', 'typescript', 'js', 'javascript']);
const SHELL_LANGS = new Set(['sh', 'bash', 'shell']);

/** The fenced code blocks of a Markdown text (indented fences inside lists included). */
export function codeBlocks(text: string, file: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const [lang = '', ...flags] = info.trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].trim().startsWith(fence)) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
      j++;
    }
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), flags, code: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

function run(command: string, args: string[], cwd: string) {
  return spawnCollect(command, args, { cwd, env: { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') } });
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

afterAll(async () => {
  await rm(SCRATCH, { recursive: true, force: true });
});

for (const doc of DOCS) {
  const blocks = codeBlocks(readFileSync(join(ROOT, doc), 'utf8'), doc);
  const scripts = blocks.filter((b) => SCRIPT_LANGS.has(b.lang) && !b.flags.includes('no-run'));
  const shells = blocks.filter((b) => SHELL_LANGS.has(b.lang) && b.flags.includes('run'));
  const folder = join(SCRATCH, doc.replace(/[/.]/g, '-'));

  describe(doc, () => {
    it('links to files that exist and cites no outside document', () => {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        expect(existsSync(join(ROOT, dirname(doc), target)), `${doc}: link to ${target}`).toBe(true);
      }
      expect(text).not.toMatch(/\bSPEC\b/);
    });

    it('shows the command as npx backprop in every shell block', () => {
      for (const b of blocks.filter((b) => SHELL_LANGS.has(b.lang))) {
        for (const line of b.code.split('\n')) {
          expect(line, `${doc}:${b.line}`).not.toMatch(/^\s*backprop\s/);
        }
      }
    });

    for (const b of scripts) {
      it(`${doc}:${b.line} (${b.lang}) runs on its own`, { timeout: BLOCK_TIMEOUT }, async () => {
        const dir = join(folder, `block-${b.line}`);
        await mkdir(dir, { recursive: true });
        const ext = b.lang.startsWith('t') ? 'mts' : 'mjs';
        await writeFile(join(dir, `example.${ext}`), b.code);
        const r = await run(process.execPath, ['--import', 'tsx', `example.${ext}`], dir);
        expect(r.code, `${doc}:${b.line} failed:\n${tail(r.stderr)}`).toBe(0);
      });
    }

    for (const b of shells) {
      it(`${doc}:${b.line} (${b.lang} run) runs`, { timeout: BLOCK_TIMEOUT }, async () => {
        await mkdir(folder, { recursive: true });
        const r = await run('bash', ['-e', '-o', 'pipefail', '-c', b.code], folder);
        expect(r.code, `${doc}:${b.line} failed:\n${tail(r.stderr)}`).toBe(0);
      });
    }
  });
}
