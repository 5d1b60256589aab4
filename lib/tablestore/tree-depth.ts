/**
 * How deeply a tree of objects and arrays (parsed JSON, a syntax tree) nests, found without recursion: the
 * input may be deep enough to overflow the stack of any recursive walk (JSON.parse itself is not recursive).
 * Stops counting once past `limit`, so a hostile input costs no more than the check needs.
 */
export function treeDepth(root: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}
