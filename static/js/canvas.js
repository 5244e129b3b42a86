// The canvases that sit under a Plotly figure (the diagram's edges and neurons, the data view's output grid).

/**
 * Size `canvas` to cover `element` (its content box) at the screen's pixel density, clear it, and return a 2-D
 * context that draws in CSS pixels of the element. Returns [context, width, height].
 */
export function coverAndClear(canvas, element) {
  const dpr = window.devicePixelRatio || 1;
  const w = element.clientWidth;
  const h = element.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
  }
  canvas.style.left = `${element.offsetLeft + element.clientLeft}px`;
  canvas.style.top = `${element.offsetTop + element.clientTop}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}
