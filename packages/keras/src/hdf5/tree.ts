/** The plain HDF5 tree produced by the reader, and helpers to walk it. */
import type { H5AttrValue, H5Dataset, H5Group, H5Node } from './extract.js';

export type { ExtractLimits, H5AttrValue, H5Dataset, H5Group, H5Node } from './extract.js';

/** The child of `group` named `name`, or undefined. */
export function child(group: H5Group, name: string): H5Node | undefined {
  for (const [key, node] of group.children) if (key === name) return node;
  return undefined;
}

/** The node at a `/`-separated path below `group` (empty segments ignored). */
export function at(group: H5Group, path: string): H5Node | undefined {
  let node: H5Node | undefined = group;
  for (const part of path.split('/')) {
    if (part === '') continue;
    if (node == null || node.kind !== 'group') return undefined;
    node = child(node, part);
  }
  return node;
}

/** The group at `path`, or undefined when missing or not a group. */
export function groupAt(group: H5Group, path: string): H5Group | undefined {
  const node = at(group, path);
  return node?.kind === 'group' ? node : undefined;
}

/** The dataset at `path`, or undefined when missing or not a dataset. */
export function datasetAt(group: H5Group, path: string): H5Dataset | undefined {
  const node = at(group, path);
  return node?.kind === 'dataset' ? node : undefined;
}

/** An attribute as one string (a one-element string array counts), else undefined. */
export function attrString(value: H5AttrValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * An attribute as a list of strings. Keras writes lists of names as fixed-length byte strings,
 * variable-length strings, or (when empty) a float64 array of length 0.
 */
export function attrStrings(value: H5AttrValue | undefined): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) return [];
    if (value.every((v): v is string => typeof v === 'string')) return value;
  }
  return undefined;
}

/**
 * The tree with `\`-separated child names turned into nested groups. `.keras` files saved on
 * Windows by tf.keras 2.13–2.15 name their weight groups with the OS path separator
 * (`layers\lstm\cell` at the root instead of `layers/lstm/cell`).
 */
export function nestBackslashNames(group: H5Group): H5Group {
  if (!group.children.some(([key, node]) => key.includes('\\') || node.kind === 'group')) {
    return group;
  }
  const out: H5Group = { kind: 'group', attrs: group.attrs, children: [] };
  for (const [key, node] of group.children) {
    const parts = key.split('\\').filter((p) => p !== '');
    const leaf = node.kind === 'group' ? nestBackslashNames(node) : node;
    let parent = out;
    for (const part of parts.slice(0, -1)) {
      let next = child(parent, part);
      if (next?.kind !== 'group') {
        next = { kind: 'group', attrs: {}, children: [] };
        parent.children.push([part, next]);
      }
      parent = next;
    }
    const name = parts[parts.length - 1] ?? key;
    const existing = child(parent, name);
    if (existing?.kind === 'group' && leaf.kind === 'group') {
      // `layers\lstm` and `layers\lstm\cell` both appear: merge into one group.
      existing.attrs = { ...leaf.attrs, ...existing.attrs };
      existing.children.push(...leaf.children);
    } else {
      parent.children.push([name, leaf]);
    }
  }
  return out;
}
