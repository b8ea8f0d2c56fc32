// Evaluated in the household page by page.browser.test.ts: what a screen-reader, keyboard or
// low-vision user would trip over. Returns a list of problems (empty: none).
(() => {
  const out = [];
  // Every control has a name (its text, aria-label or label).
  for (const e of document.querySelectorAll("button, a[href], input, select, textarea")) {
    if (e.offsetParent === null) continue;
    const named = e.getAttribute("aria-label") || e.textContent.trim() || (e.labels && e.labels[0] && e.labels[0].textContent.trim());
    if (!named) out.push(`unnamed ${e.tagName} ${e.id}`);
  }
  // WCAG 2 contrast of every visible text against its effective background: at least 4.5:1.
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0)) return c;
    }
    return [255, 255, 255];
  };
  for (const e of document.querySelectorAll("body *")) {
    if (e.offsetParent === null || ![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const fg = lum(rgb(getComputedStyle(e).color));
    const bg = lum(background(e));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)} on ${e.tagName}#${e.id} "${e.textContent.trim().slice(0, 20)}"`);
  }
  // Nothing wider than the screen (a 375 px phone in the test).
  if (document.documentElement.scrollWidth > window.innerWidth) out.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  return out;
})();
