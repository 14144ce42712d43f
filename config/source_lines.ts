// Splits a config file into numbered, trimmed lines; every later message cites these numbers.

export interface SourceLine {
  /** 1-based, as editors show it. */
  readonly number: number;
  /** Surrounding whitespace removed. */
  readonly text: string;
}

export function sourceLines(text: string): SourceLine[] {
  const withoutBom = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = withoutBom.split(/\r\n|\n|\r/);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i) => ({ number: i + 1, text: raw.trim() }));
}

export function isBlankOrComment(line: SourceLine): boolean {
  return line.text === '' || line.text.startsWith('#');
}
