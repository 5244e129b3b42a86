(minFont) => {
  // What looks unfinished at the current size (tests/browser/pagekit.py: layout_problems). Evaluated by
  // Playwright as one arrow function taking the smallest readable font size in px.
  const problems = [];
  const name = (el) => {
    const label = el.getAttribute && (el.getAttribute('aria-label') || el.id || el.getAttribute('data-testid'));
    return `${el.tagName.toLowerCase()}${label ? `[${label}]` : ''}${label ? '' : ` "${(el.textContent || '').trim().slice(0, 30)}"`}`;
  };
  const shown = (el) => {
    if (!el.isConnected) return false;
    const closed = el.closest('details:not([open])');
    if (closed && !el.closest('summary')) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false;
    }
    return true;
  };
  // The box an element can be seen in: the intersection of its clipping ancestors. `scrolls`: one of them is a
  // scrolling panel (what it cuts at its edge is a scroll away, not lost).
  const clipBox = (el) => {
    let box = {left: 0, top: 0, right: innerWidth, bottom: innerHeight, scrolls: false};
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
        const r = e.getBoundingClientRect();
        const scrolls = ['auto', 'scroll'].includes(s.overflowY) || ['auto', 'scroll'].includes(s.overflowX);
        box = {left: Math.max(box.left, r.left), top: Math.max(box.top, r.top),
               right: Math.min(box.right, r.right), bottom: Math.min(box.bottom, r.bottom), scrolls: box.scrolls || scrolls};
      }
    }
    return box;
  };
  const inside = (r, b, slack = 1) => r.left >= b.left - slack && r.right <= b.right + slack && r.top >= b.top - slack && r.bottom <= b.bottom + slack;
  const scrolledAway = (r, b) => r.bottom <= b.top + 1 || r.top >= b.bottom - 1 || r.right <= b.left + 1 || r.left >= b.right - 1;

  // 1. One screen: nothing reaches past the window.
  const layout = document.getElementById('layout').getBoundingClientRect();
  if (layout.bottom > innerHeight + 1) problems.push(`the layout ends at ${layout.bottom}px, below the window (${innerHeight}px)`);
  if (document.documentElement.scrollWidth > innerWidth + 1) problems.push(`the page is ${document.documentElement.scrollWidth}px wide`);

  // 2. Controls: each wholly visible (or wholly scrolled away inside a scrolling panel), none on top of another.
  const controls = [...document.querySelectorAll('button, select, input:not([type=hidden]), summary, progress, .tl')]
    .filter(shown);
  const rects = [];
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    const b = clipBox(el);
    if (scrolledAway(r, b)) continue;
    if (!inside(r, b) && !b.scrolls) problems.push(`${name(el)} is cut off (${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)})`);
    const home = el.parentElement.closest('.panel, .controls, .timeline-row, .chart-box, .topbar, .banner, .diagram-wrap');
    if (home && !b.scrolls && !inside(r, home.getBoundingClientRect())) problems.push(`${name(el)} sticks out of its panel`);
    rects.push([el, r]);
  }
  for (let i = 0; i < rects.length; i++) {
    for (let k = i + 1; k < rects.length; k++) {
      const [a, ra] = rects[i];
      const [b, rb] = rects[k];
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  }

  // 3. A select shows its whole choice.
  const ctx = document.createElement('canvas').getContext('2d');
  for (const el of controls.filter((e) => e.tagName === 'SELECT')) {
    const s = getComputedStyle(el);
    ctx.font = `${s.fontSize} ${s.fontFamily}`;
    const text = el.selectedOptions[0] ? el.selectedOptions[0].textContent : '';
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 18;  // the arrow
    if (ctx.measureText(text).width > room + 1) problems.push(`${name(el)} cuts "${text}" (${Math.round(ctx.measureText(text).width)} > ${Math.round(room)}px)`);
  }

  // 4. Text: not clipped by its own box (deliberate ellipses aside), and never smaller than minFont.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || ['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT', 'TITLE'].includes(el.tagName) || !shown(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    const r = el.getBoundingClientRect();
    if (scrolledAway(r, clipBox(el))) continue;
    const svg = el.closest('svg');
    if (size < minFont - 0.05) problems.push(`"${node.textContent.trim().slice(0, 40)}" is ${size}px (< ${minFont}px)${svg ? ' in a chart' : ''}`);
    if (!svg && s.overflowX !== 'visible' && s.textOverflow !== 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
      problems.push(`"${node.textContent.trim().slice(0, 40)}" is cut off (${el.scrollWidth} > ${el.clientWidth}px)`);
  }

  // 5. Chart annotations (empty-state messages, labels) inside their chart.
  for (const chart of document.querySelectorAll('.js-plotly-plot')) {
    if (!shown(chart)) continue;
    const box = chart.getBoundingClientRect();
    for (const a of chart.querySelectorAll('.annotation')) {
      const r = a.getBoundingClientRect();
      if (r.width > 0 && !inside(r, box)) problems.push(`"${a.textContent.slice(0, 40)}" sticks out of ${chart.id}`);
    }
    // …and no two texts of a chart (tick labels, axis titles, labels) on top of each other.
    const texts = [...chart.querySelectorAll('text')].filter((e) => e.textContent.trim() && shown(e))
      .map((e) => [e.textContent.trim(), e.getBoundingClientRect()]);
    for (let i = 0; i < texts.length; i++) {
      for (let k = i + 1; k < texts.length; k++) {
        const [ta, ra] = texts[i];
        const [tb, rb] = texts[k];
        if (Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 1 && Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 2)
          problems.push(`in ${chart.id}, "${ta.slice(0, 30)}" overlaps "${tb.slice(0, 30)}"`);
      }
    }
  }

  // 6. The diagram: neurons apart, titles and markers clear of each other, of the neurons and of the legend.
  const d = window.__bpv && window.__bpv.diagram;
  if (d && d.geometry && shown(d.el)) { // (the Diagnostics view hides it)
    const box = d.el.getBoundingClientRect();
    const size = d.nodeSize();
    const circles = d.geometry.nodes.map((n) => {
      const p = d.pointOf({kind: 'neuron', layer: n.l, index: n.j});
      return {x: p.x, y: p.y, r: size / 2, n};
    });
    for (let i = 0; i < circles.length; i++) {
      const a = circles[i];
      if (a.x - a.r < box.left || a.x + a.r > box.right || a.y - a.r < box.top || a.y + a.r > box.bottom)
        problems.push(`neuron ${a.n.l}/${a.n.j} is outside the diagram`);
      for (let k = i + 1; k < circles.length; k++) {
        const b = circles[k];
        if (Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r - 0.5) problems.push(`neurons ${a.n.l}/${a.n.j} and ${b.n.l}/${b.n.j} overlap`);
      }
    }
    const labels = [...d.el.querySelectorAll('.annotation')].map((e) => [e.textContent, e.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
    const legend = document.getElementById('diagram-legend').getBoundingClientRect();
    const hitsCircle = (r, c) => {
      const x = Math.max(r.left, Math.min(c.x, r.right)), y = Math.max(r.top, Math.min(c.y, r.bottom));
      return Math.hypot(x - c.x, y - c.y) < c.r - 1;
    };
    for (let i = 0; i < labels.length; i++) {
      const [ta, ra] = labels[i];
      if (!inside(ra, box)) problems.push(`diagram label "${ta}" is cut off`);
      for (let k = i + 1; k < labels.length; k++) {
        const [tb, rb] = labels[k];
        if (Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 1 && Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 1)
          problems.push(`diagram labels "${ta}" and "${tb}" overlap`);
      }
      for (const c of circles) if (hitsCircle(ra, c)) problems.push(`diagram label "${ta}" covers neuron ${c.n.l}/${c.n.j}`);
    }
    for (const c of circles) if (c.x + c.r > legend.left && c.y + c.r > legend.top && c.y - c.r < legend.bottom) problems.push(`the colour legend covers neuron ${c.n.l}/${c.n.j}`);
  }
  return problems;
}
