/** Tiny HTML helpers: every interpolated value goes through esc(). */
export const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Zen Hei",sans-serif;color:#1f2933;background:#f4f6f8}
header{background:#1d4e89;color:#fff;padding:12px 16px}header h1{font-size:18px;margin:0}header p{margin:2px 0 0;font-size:13px;opacity:.9}
main{max-width:960px;margin:0 auto;padding:12px}
.card{background:#fff;border-radius:8px;padding:14px 16px;margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card h2{font-size:17px;margin:0 0 6px}.muted{color:#616e7c;font-size:14px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;margin-right:6px}
.ok{background:#e3f9e5;color:#1f6d32}.missing{background:#fde8e8;color:#9b1c1c}.late{background:#fff3c4;color:#8a5a00}.pending{background:#e6f0ff;color:#1d4e89}
.err{background:#fde8e8;color:#9b1c1c;border-radius:6px;padding:8px 10px;margin:8px 0;font-size:14px}
.note{background:#fff8e1;border-radius:6px;padding:8px 10px;font-size:14px}
input[type=file]{display:block;width:100%;margin:8px 0;font-size:15px}
button,.btn{display:inline-block;background:#1d4e89;color:#fff;border:0;border-radius:6px;padding:10px 18px;font-size:16px;text-decoration:none}
button:disabled{background:#9aa5b1}
progress{width:100%;height:10px}
table{border-collapse:collapse;width:100%;font-size:14px;background:#fff}th,td{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8;position:sticky;top:0}.scroll{overflow-x:auto}
.versions td:first-child,.versions td:nth-child(2),.versions .links,.badge{white-space:nowrap}
footer{color:#616e7c;font-size:13px;text-align:center;padding:16px}
`;

export function layout(title: string, heading: string, sub: string, body: string, opts: { script?: boolean; refreshSeconds?: number } = {}) {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(heading)}</h1>${sub ? `<p>${esc(sub)}</p>` : ''}</header>
<main>${body}</main>
<footer>南昌市教育局 · 南昌市未成年人心理健康辅导中心</footer>
${opts.script ? '<script src="/assets/app.js" defer></script>' : ''}
</body></html>`;
}

/**
 * A mail's HTML: paragraphs (line breaks kept), one button to the reader's own link, the link spelled out and
 * the do-not-forward line. Every value escaped.
 */
export const mailHtml = (paragraphs: string[], link: string, button: string) => `<div style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7">
${paragraphs.map((p) => `<p style="white-space:pre-wrap">${esc(p)}</p>`).join('\n')}
<p><a href="${esc(link)}" style="display:inline-block;background:#1d4e89;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${esc(button)}</a></p>
<p style="color:#616e7c;font-size:13px">如按钮无法点击，请复制以下链接到浏览器打开：<br>${esc(link)}<br>此链接专属于贵单位，请勿转发。</p></div>`;
