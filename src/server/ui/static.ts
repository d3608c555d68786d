/**
 * The UI's only assets, kept as strings so that `portcullis serve` needs no
 * asset directory, no build step and nothing from another origin: one
 * stylesheet (the pages' Content-Security-Policy allows styles from 'self'
 * only, so there is no inline style anywhere) and a small SVG icon (served so
 * that the browser's automatic favicon request does not end in a 404).
 * Severity colours match the HTML report's (`report/formats/html.ts`).
 */

export const STATIC_PREFIX = '/ui/static/';

const CSS = `:root{color-scheme:light;--crit:#8b0000;--high:#d9480f;--med:#b7791f;--low:#2b6cb0;--neg:#4a5568;--unk:#718096;--line:#e2e8f0}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#f7fafc}
header.top{background:#1a202c;color:#fff;padding:10px 24px;display:flex;gap:16px;align-items:center}
header.top a{color:#fff;text-decoration:none;font-weight:600}
header.top img{vertical-align:middle;margin-right:6px}
header.top nav.sections{display:flex;gap:12px;flex:1}
header.top nav.sections a{font-weight:400;color:#cbd5e0}
header.top .account{display:flex;gap:8px;align-items:center;margin:0;color:#cbd5e0}
header.top .account button{font:inherit;color:#fff;background:transparent;border:1px solid #718096;border-radius:4px;padding:1px 10px;cursor:pointer}
main{padding:16px 24px 32px}
h1{font-size:20px;margin:0 0 8px;word-break:break-all}
h2{font-size:16px;margin:24px 0 8px}
nav.crumbs{margin:0 0 12px;color:#4a5568;word-break:break-all}
nav.crumbs a{color:#2b6cb0}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;color:#4a5568;margin:0 0 16px}
.meta dt{font-weight:600}
.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:#edf2f7;font-weight:600;position:sticky;top:0}
td.num{text-align:right}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.badges{display:flex;gap:4px;flex-wrap:wrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.sev-CRITICAL{background:var(--crit)}.sev-HIGH{background:var(--high)}.sev-MEDIUM{background:var(--med)}
.kev{background:#7a0019}
.sev-LOW{background:var(--low)}.sev-NEGLIGIBLE{background:var(--neg)}.sev-UNKNOWN{background:var(--unk)}
span.state{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:4px;font-size:12px;border:1px solid var(--line);background:#fff}
.state-done{border-color:#2f855a;color:#2f855a}.state-failed{border-color:#c53030;color:#c53030}
.state-queued,.state-scanning{border-color:#b7791f;color:#975a16}.state-none,.state-skipped{color:#718096}
.none{color:#718096}
.clean{color:#2f855a;font-weight:600}
nav.filter{display:flex;gap:6px;flex-wrap:wrap;margin:0 0 12px;align-items:center}
nav.filter a{padding:2px 10px;border:1px solid var(--line);border-radius:12px;background:#fff;color:#2d3748;text-decoration:none}
nav.filter a[aria-current="true"]{background:#2d3748;color:#fff;border-color:#2d3748}
small{color:#4a5568}
a{color:#2b6cb0}
p.error{color:#c53030;white-space:pre-wrap}
details summary{cursor:pointer;color:#2b6cb0}
span.verdict{display:inline-block;padding:1px 8px;border-radius:4px;font-size:12px;font-weight:600;border:1px solid}
span.verdict-served{border-color:#2f855a;color:#2f855a;background:#f0fff4}
span.verdict-refused{border-color:#c53030;color:#fff;background:#c53030}
p.verdict-line{font-size:15px;margin:0 0 12px}
.sig{font-size:12px}.sig-trusted{color:#2f855a;font-weight:600}
.sig-untrusted,.sig-unsigned,.sig-error{color:#c53030;font-weight:600}.sig-unchecked,.sig-none{color:#718096}
.error{color:#c53030}
pre.pull{margin:4px 0;padding:6px 10px;background:#1a202c;color:#f7fafc;border-radius:4px;overflow-x:auto}
pre.pull code{color:inherit;word-break:normal}
td.created-by code{white-space:pre-wrap}
tr.attached td{border-bottom:1px solid var(--line);padding-top:0}
ul.accessories{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
form.login{display:grid;grid-template-columns:max-content minmax(200px,320px);gap:8px 12px;align-items:center;margin:16px 0}
form.login input{font:inherit;padding:4px 8px;border:1px solid #a0aec0;border-radius:4px}
form.login button{grid-column:2;justify-self:start;font:inherit;padding:4px 16px;border-radius:4px;border:1px solid #2d3748;background:#2d3748;color:#fff;cursor:pointer}
form.filters{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;margin:12px 0 16px}
form.filters input,form.filters select,form.inline-form button{font:inherit;padding:3px 8px;border:1px solid #a0aec0;border-radius:4px}
form.filters button,form.inline-form button{font:inherit;padding:3px 14px;border-radius:4px;border:1px solid #2d3748;background:#2d3748;color:#fff;cursor:pointer}
form.inline-form{margin:8px 0}
div.forms{display:flex;flex-wrap:wrap;gap:12px 24px;margin:8px 0 16px}
form.manage{display:grid;grid-template-columns:max-content minmax(180px,360px);gap:6px 10px;align-items:center;padding:10px;border:1px solid var(--line);border-radius:6px}
form.manage input,form.manage select,form.manage textarea{font:inherit;padding:3px 8px;border:1px solid #a0aec0;border-radius:4px}
form.manage label.check{margin-right:8px;white-space:nowrap}
form.manage button{grid-column:2;justify-self:start;font:inherit;padding:3px 14px;border-radius:4px;border:1px solid #2d3748;background:#2d3748;color:#fff;cursor:pointer}
p.done{border-left:4px solid #38a169;background:#f0fff4;padding:6px 10px}
p.notice{border-left:4px solid #3182ce;background:#ebf8ff;padding:6px 10px}
nav.paging{margin:12px 0}
code.detail{white-space:pre-wrap;word-break:break-all}
details p{white-space:pre-wrap;margin:4px 0}
`;

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16"><rect x="1" y="1" width="14" height="14" rx="2" fill="#8b0000"/><path d="M4 4v9M8 4v9M12 4v9M2.5 7h11M2.5 10h11" stroke="#fff" stroke-width="1.4"/></svg>`;

export interface StaticAsset {
  readonly contentType: string;
  readonly body: string;
}

/** File name under `/ui/static/` → asset. */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ['portcullis.css', { contentType: 'text/css; charset=utf-8', body: CSS }],
  ['icon.svg', { contentType: 'image/svg+xml', body: ICON }],
]);

export const STYLESHEET_PATH = `${STATIC_PREFIX}portcullis.css`;
export const ICON_PATH = `${STATIC_PREFIX}icon.svg`;
