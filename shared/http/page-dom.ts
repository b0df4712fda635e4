/**
 * Browser-side helpers shared by the pages the product and the lab serve (dashboard, lab page):
 * `$(id)` and `el(tag, attrs, ...children)`, which builds DOM nodes without innerHTML, so data
 * from the API is never parsed as markup. Inlined into each page's script.
 */
export const PAGE_DOM_HELPERS = String.raw`
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
    return node;
  }
`;
