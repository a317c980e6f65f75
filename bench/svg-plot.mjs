/**
 * The comparison's figure as plain SVG, written without any dependency:
 * grouped bars (one group per job, one bar per tool) and a line chart (one
 * line per tool), both on a logarithmic time axis, because the jobs span
 * three orders of magnitude (a no-change run against a full backup).
 */

export const TOOL_COLOURS = { raw: '#5e5c64', rewind: '#1c71d8', btrbk: '#2ec27e', rsync: '#e5a50a', borg: '#c01c28', restic: '#813d9c' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Powers of ten (and 2× and 5× of them) covering [lo, hi], for a log axis. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

const tickLabel = (v) => (v >= 1 ? `${+v.toPrecision(2)} s` : `${+(v * 1000).toPrecision(2)} ms`);

/** The frame of one panel: title, log y axis with grid lines; returns the parts and the y scale. */
function frame({ x, y, width, height, title, values }) {
  const positive = values.filter((v) => v > 0);
  // The nearest 1, 2 or 5 × 10^n outside the values, so no panel is mostly empty.
  const nice = (v, up) => {
    const e = Math.floor(Math.log10(v));
    const steps = [1, 2, 5, 10].map((m) => m * 10 ** e);
    return up ? steps.find((x) => x >= v * 0.999) : [...steps].reverse().find((x) => x <= v * 1.001);
  };
  // Some room below the smallest value, so its bar or point does not sit on the axis.
  const lo = nice(Math.min(...positive) / 1.5, false);
  const hi = nice(Math.max(...positive), true);
  const top = y + 30;
  const bottom = y + height - 40;
  const left = x + 60;
  const scale = (v) => bottom - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
  const parts = [`<text x="${x + width / 2}" y="${y + 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (const t of logTicks(lo, hi)) {
    const ty = scale(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${x + width - 10}" y1="${ty}" y2="${ty}" stroke="#deddda"/>`);
    parts.push(`<text x="${left - 6}" y="${ty}" dy="4" text-anchor="end" font-size="11">${tickLabel(t)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#77767b"/>`, `<line x1="${left}" x2="${x + width - 10}" y1="${bottom}" y2="${bottom}" stroke="#77767b"/>`);
  return { parts, scale, top, bottom, left, right: x + width - 10 };
}

/** Grouped bars: `groups` on the x axis, one bar per tool, `value(group, tool)` seconds (undefined: no bar). */
export function barPanel({ x, y, width, height, title, groups, tools, value }) {
  const values = groups.flatMap((g) => tools.map((t) => value(g, t))).filter((v) => v !== undefined);
  const f = frame({ x, y, width, height, title, values });
  const groupWidth = (f.right - f.left) / groups.length;
  const barWidth = (groupWidth * 0.8) / tools.length;
  for (const [gi, group] of groups.entries()) {
    const gx = f.left + gi * groupWidth + groupWidth * 0.1;
    for (const [ti, tool] of tools.entries()) {
      const v = value(group, tool);
      if (v === undefined) continue;
      const by = f.scale(v);
      f.parts.push(`<rect x="${(gx + ti * barWidth).toFixed(1)}" y="${by.toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${(f.bottom - by).toFixed(1)}" fill="${TOOL_COLOURS[tool]}"><title>${esc(`${group}, ${tool}: ${v.toFixed(3)} s`)}</title></rect>`);
    }
    f.parts.push(`<text x="${(gx + groupWidth * 0.4).toFixed(1)}" y="${f.bottom + 16}" text-anchor="middle" font-size="12">${esc(group)}</text>`);
  }
  return f.parts.join('\n');
}

/** Lines over evenly spaced `xs` (labelled by `xLabel`), one per tool, `value(x, tool)` seconds. */
export function linePanel({ x, y, width, height, title, xs, xLabel, axisLabel, tools, value }) {
  const values = xs.flatMap((v) => tools.map((t) => value(v, t))).filter((v) => v !== undefined);
  const f = frame({ x, y, width, height, title, values });
  const step = (f.right - f.left - 120) / Math.max(1, xs.length - 1);
  const px = (i) => f.left + 60 + i * step;
  for (const [i, v] of xs.entries()) f.parts.push(`<text x="${px(i).toFixed(1)}" y="${f.bottom + 16}" text-anchor="middle" font-size="12">${esc(xLabel(v))}</text>`);
  f.parts.push(`<text x="${(f.left + f.right) / 2}" y="${f.bottom + 32}" text-anchor="middle" font-size="12">${esc(axisLabel)}</text>`);
  for (const tool of tools) {
    const points = xs.map((v, i) => [px(i), value(v, tool)]).filter(([, s]) => s !== undefined);
    const coords = points.map(([cx, s]) => `${cx.toFixed(1)},${f.scale(s).toFixed(1)}`);
    f.parts.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${TOOL_COLOURS[tool]}" stroke-width="2"/>`);
    for (const [cx, s] of points) f.parts.push(`<g><title>${esc(`${tool}: ${s.toFixed(3)} s`)}</title><circle cx="${cx.toFixed(1)}" cy="${f.scale(s).toFixed(1)}" r="4" fill="${TOOL_COLOURS[tool]}"/></g>`);
  }
  return f.parts.join('\n');
}

/** A legend row of tool colours. */
export function legend({ x, y, tools, names }) {
  return tools
    .map((t, i) => `<rect x="${x + i * 150}" y="${y - 10}" width="12" height="12" fill="${TOOL_COLOURS[t]}"/><text x="${x + i * 150 + 18}" y="${y}" font-size="13">${esc(names[t] ?? t)}</text>`)
    .join('\n');
}

export function svgDocument(width, height, body, footnote) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    body,
    `<text x="10" y="${height - 8}" font-size="11" fill="#5e5c64">${esc(footnote)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
