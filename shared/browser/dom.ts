/**
 * Browser-side DOM helpers shared by the pages the product and the lab serve (the dashboard, the
 * lab page), bundled into each page's script: `$(id)` and `el(tag, attrs, ...children)`, which
 * builds nodes without innerHTML, so data from an API is never parsed as markup.
 */

/** The element with this id; a page's markup and its script are built together, so a missing id is a bug said loudly. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page: no element #${id}`);
  return node as T;
}

/** `$` for an input, select or textarea (the forms read `.value`). */
export const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);

export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (ev: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

/**
 * A DOM node: `class` sets the class name, `text` the text content, `on<event>` a listener, any
 * other key an attribute (`true` an empty one; null, undefined and false none). Children may be
 * nested arrays; null, undefined and false are skipped.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') {
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      continue;
    }
    if (k === 'class') node.className = String(v);
    else if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node: HTMLElement, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : String(c));
  }
}
