// Coverage marks (after TigerBeetle's marks.zig): the core names its rare branches, and a test of
// such a branch asserts the branch was actually taken, so the test cannot pass by accident.
// Counting only; nothing reads these in production paths.

const counts = new Map<string, number>();

export function mark(name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

export function markCount(name: string): number {
  return counts.get(name) ?? 0;
}

export function allMarks(): ReadonlyMap<string, number> {
  return counts;
}

/** Runs fn and returns how many times the mark was hit during it. */
export function countMarks(name: string, fn: () => void): number {
  const before = markCount(name);
  fn();
  return markCount(name) - before;
}
