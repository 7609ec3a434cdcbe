// Dashboard charts drawn with the vendored Chart.js (static/vendor, no CDN); the numbers also stay in the tables.
const data = JSON.parse(document.getElementById('chart-data')?.textContent ?? '{}');
const COLOURS = ['#8f1d16', '#1f4e99', '#1f7a3a', '#a15c00', '#6b3fa0', '#0f7c86', '#c2410c', '#5b6677'];
const TYPES = { day: 'line', review_status: 'doughnut', pipeline_status: 'doughnut', kind: 'doughnut' };

if (window.Chart) {
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const series = data[canvas.dataset.chart];
    if (!series || !series.values.length) continue;
    const type = TYPES[canvas.dataset.chart] ?? 'bar';
    new window.Chart(canvas, {
      type,
      data: {
        labels: series.labels,
        datasets: [{ data: series.values, backgroundColor: type === 'line' ? '#8f1d16' : COLOURS,
          borderColor: type === 'line' ? '#8f1d16' : '#fff', fill: false, tension: 0.2 }],
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: canvas.dataset.chart === 'region' ? 'y' : 'x',
        plugins: { legend: { display: type === 'doughnut', position: 'bottom' } },
        // Counts are whole numbers: integer ticks from zero.
        scales: type === 'doughnut' ? {} : {
          x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
    canvas.closest('.chart')?.classList.add('drawn');
  }
}
