import type { Report } from './report.ts';

/**
 * The benchmark chart: one bar per comparison of the run, its length the kit's figure divided by
 * its physical limit (raw statement, raw crypto primitive, bare server), with the limit at 1.0 and
 * the target marked. Both absolute figures are written on each row, so the chart never hides
 * what a ratio is made of. Plain SVG text, generated from the report: nothing is drawn by hand.
 */
export function renderChart(report: Report): string {
  const rows = report.comparisons;
  // Wide enough for the longest name (about 7 px a character at 13 px), never narrower than 390.
  const labelWidth = Math.max(390, ...rows.map((row) => Math.ceil(row.name.length * 7)));
  const width = 570 + labelWidth;
  const barLeft = labelWidth + 10;
  const barWidth = width - barLeft - 150;
  const rowHeight = 34;
  const top = 78;
  const height = top + rows.length * rowHeight + 56;
  const maxRatio = Math.max(1.25, ...rows.map((row) => row.ratio)) * 1.05;
  const x = (ratio: number) => barLeft + (Math.min(ratio, maxRatio) / maxRatio) * barWidth;
  const ops = (key: string) => {
    const figure = report.figures[key];
    return figure ? `${Math.round(figure.opsPerSecond).toLocaleString('en-US')}/s` : '?';
  };
  const cpu = (key: string) => {
    const figure = report.figures[key];
    return figure ? `${figure.processCpuMicrosPerOp.toFixed(0)} µs CPU/op` : '?';
  };
  // A CPU row's bar is the limit's CPU per operation divided by the subject's.
  const figures = (row: (typeof rows)[number]) =>
    row.basis === 'cpu'
      ? `${cpu(row.subject)} vs ${cpu(row.limit)}`
      : `${ops(row.subject)} vs ${ops(row.limit)}`;
  const { machine, database, settings } = report;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(16, 26, 'kit: each figure as a fraction of its physical limit (1.0 = the limit)', {
      size: 17,
      weight: 'bold',
    }),
    text(
      16,
      48,
      `${machine.cpuCount} × ${machine.cpuModel}, Node ${machine.node}, ${database.version.split(' on ')[0]!.split(' (')[0]} (${database.source}); ${settings.benchSeconds} s per figure in ${settings.rounds} alternating rounds; load average ${machine.loadAverageAtStart[0]?.toFixed(1) ?? '?'} at start; ${report.date.slice(0, 10)}`,
      { size: 12, fill: '#555555' },
    ),
  );

  // Grid: 0, 0.25, ... with the limit (1.0) drawn stronger.
  for (let tick = 0; tick <= maxRatio + 1e-9; tick += 0.25) {
    const at = x(tick);
    const isLimit = Math.abs(tick - 1) < 1e-9;
    out.push(
      `<line x1="${at.toFixed(1)}" y1="${top - 8}" x2="${at.toFixed(1)}" y2="${top + rows.length * rowHeight}" stroke="${isLimit ? '#333333' : '#e2e2e2'}" stroke-width="${isLimit ? 1.5 : 1}"/>`,
      text(at, top + rows.length * rowHeight + 16, tick.toFixed(2), {
        size: 11,
        fill: '#555555',
        anchor: 'middle',
      }),
    );
  }
  out.push(
    text(x(1), top - 12, 'limit', { size: 11, fill: '#333333', anchor: 'middle' }),
    text(
      barLeft + barWidth / 2,
      top + rows.length * rowHeight + 34,
      'kit ÷ limit (ops/s; CPU rows: limit µs/op ÷ kit µs/op)',
      {
        size: 12,
        fill: '#333333',
        anchor: 'middle',
      },
    ),
  );

  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const colour = row.pass === null ? '#8aa4c8' : row.pass ? '#2f8f4e' : '#c0392b';
    out.push(
      text(labelWidth, y + 14, row.name, { anchor: 'end' }),
      text(labelWidth, y + 27, figures(row), {
        anchor: 'end',
        size: 11,
        fill: '#666666',
      }),
      `<rect x="${barLeft}" y="${y + 6}" width="${Math.max(1, x(row.ratio) - barLeft).toFixed(1)}" height="${rowHeight - 14}" fill="${colour}"/>`,
      text(x(row.ratio) + 6, y + 22, row.ratio.toFixed(2), { weight: 'bold' }),
    );
    if (row.target !== null) {
      const at = x(row.target);
      out.push(
        `<line x1="${at.toFixed(1)}" y1="${y + 2}" x2="${at.toFixed(1)}" y2="${y + rowHeight - 4}" stroke="#000000" stroke-width="2" stroke-dasharray="3 2"/>`,
      );
    }
  });

  const legendY = height - 14;
  out.push(
    legend(16, legendY, '#2f8f4e', 'target met'),
    legend(120, legendY, '#c0392b', 'target missed'),
    legend(240, legendY, '#8aa4c8', 'no target (context)'),
    `<line x1="390" y1="${legendY - 10}" x2="390" y2="${legendY + 2}" stroke="#000000" stroke-width="2" stroke-dasharray="3 2"/>`,
    text(398, legendY, 'target', { size: 12 }),
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

function legend(left: number, y: number, colour: string, label: string): string {
  return `<rect x="${left}" y="${y - 10}" width="12" height="12" fill="${colour}"/>${text(left + 18, y, label, { size: 12 })}`;
}

function text(
  left: number,
  y: number,
  content: string,
  style: { size?: number; weight?: string; fill?: string; anchor?: 'start' | 'middle' | 'end' } = {},
): string {
  const attributes = [
    `x="${left.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    style.size ? `font-size="${style.size}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    `fill="${style.fill ?? '#111111'}"`,
    style.anchor && style.anchor !== 'start' ? `text-anchor="${style.anchor}"` : '',
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escapeXml(content)}</text>`;
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
