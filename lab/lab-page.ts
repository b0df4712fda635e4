/** The lab's page: traffic per region, faults to inject, and a link to the product's dashboard. */
export function renderLabPage(opts: { controlUrl: string; readToken: string }): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>regionshift lab</title></head>
<body><h1>regionshift lab</h1><p><a href="${opts.controlUrl}">dashboard</a></p></body></html>`;
}
