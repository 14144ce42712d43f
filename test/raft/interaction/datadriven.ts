// A datadriven script runner in the manner of cockroachdb/datadriven, as etcd's raft uses it.
// A script is a sequence of directives separated by blank lines:
//
//   # comments (kept as they are)
//   command arg key=value
//   ----
//   expected output, one or more lines, no blank line inside
//
// run() executes each command and compares its output; with rewrite set it returns the script
// with every expected block replaced by the actual output (a reviewer then reads the diff).

export interface Directive {
  line: number; // 1-based line of the command, for messages
  command: string;
  expected: string[] | undefined; // undefined: no `----` yet (only allowed when rewriting)
}

interface Segment {
  text?: string; // a line copied as it is
  directive?: Directive;
}

const SEPARATOR = '----';

function parse(source: string): Segment[] {
  const lines = source.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const segments: Segment[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      segments.push({ text: line });
      i++;
      continue;
    }
    const directive: Directive = { line: i + 1, command: line.trim(), expected: undefined };
    i++;
    if (i < lines.length && lines[i] === SEPARATOR) {
      i++;
      directive.expected = [];
      while (i < lines.length && lines[i]!.trim() !== '') directive.expected.push(lines[i++]!);
    }
    segments.push({ directive });
  }
  return segments;
}

/** A line diff (longest common subsequence): `-` expected only, `+` actual only, ` ` both. */
export function lineDiff(expected: readonly string[], actual: readonly string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let a = n - 1; a >= 0; a--) {
    for (let b = m - 1; b >= 0; b--) {
      lcs[a]![b] = expected[a] === actual[b] ? lcs[a + 1]![b + 1]! + 1 : Math.max(lcs[a + 1]![b]!, lcs[a]![b + 1]!);
    }
  }
  const out: string[] = [];
  let a = 0;
  let b = 0;
  while (a < n || b < m) {
    if (a < n && b < m && expected[a] === actual[b]) {
      out.push(`  ${expected[a++]}`);
      b++;
    } else if (b < m && (a === n || lcs[a]![b + 1]! >= lcs[a + 1]![b]!)) out.push(`+ ${actual[b++]}`);
    else out.push(`- ${expected[a++]}`);
  }
  return out;
}

export class ScriptMismatch extends Error {
  constructor(file: string, d: Directive, actual: string[]) {
    const diff = d.expected === undefined ? actual.map((l) => `+ ${l}`) : lineDiff(d.expected, actual);
    super(`${file}:${d.line}: output of \`${d.command}\` differs (- expected, + actual; REWRITE=1 regenerates):\n` +
      diff.join('\n'));
    this.name = 'ScriptMismatch';
  }
}

/**
 * Runs the script through `exec`. Without rewrite, throws ScriptMismatch at the first command
 * whose output differs; with rewrite, returns the script carrying the actual outputs.
 */
export function runScript(file: string, source: string, exec: (command: string) => string[], rewrite: boolean): string {
  const out: string[] = [];
  let afterDirective = false;
  for (const seg of parse(source)) {
    // An output block ends at a blank line: keep one between a directive and what follows it.
    if (afterDirective && seg.text?.trim() !== '') out.push('');
    afterDirective = seg.directive !== undefined;
    if (seg.text !== undefined) {
      out.push(seg.text);
      continue;
    }
    const d = seg.directive!;
    let actual: string[];
    try {
      actual = exec(d.command);
    } catch (e) {
      throw new Error(`${file}:${d.line}: \`${d.command}\` failed: ${e instanceof Error ? e.stack : String(e)}`);
    }
    const blank = actual.findIndex((l) => l.trim() === '');
    if (blank >= 0) throw new Error(`${file}:${d.line}: output line ${blank + 1} is blank; blank lines end a block`);
    if (!rewrite && (d.expected === undefined || d.expected.join('\n') !== actual.join('\n'))) {
      throw new ScriptMismatch(file, d, actual);
    }
    out.push(d.command, SEPARATOR, ...actual);
  }
  return out.join('\n') + '\n';
}
