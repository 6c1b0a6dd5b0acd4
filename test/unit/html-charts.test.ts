import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bars, curve, scatter } from '../../main/html/render.js';
import { evaluationCharts } from '../../main/registry/report-charts.js';

describe('HTML report charts', () => {
  it('cuts a long bar label with an ellipsis and keeps it whole in a <title>', () => {
    const long = 'customer_lifetime_value_in_thousands_of_euros_at_signup';
    const svg = bars([{ label: long, value: 2 }]);
    assert.ok(svg.includes(`<title>${long}</title>${long.slice(0, 31)}…</text>`), svg);
  });

  it('draws one line a class, named in a legend, and the classes escaped', () => {
    const svg = curve(
      [
        {
          name: 'a',
          points: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        {
          name: '<b>',
          points: [
            { x: 0, y: 0 },
            { x: 0, y: 1 },
            { x: 1, y: 1 },
          ],
        },
      ],
      { x: 'false positive rate', y: 'true positive rate' },
    );
    assert.equal(svg.match(/<polyline/g)?.length, 2);
    assert.ok(svg.includes('&lt;b&gt;') && !svg.includes('<b>'));
    // Unit square of 212 px from (24, 24): the second class's corner point (0, 1) is at the top left.
    assert.ok(svg.includes('points="24.0,236.0 24.0,24.0 236.0,24.0"'), svg);
  });

  it('puts each residual point on its scales, with the zero line', () => {
    const svg = scatter(
      [
        { x: 0, y: -1 },
        { x: 10, y: 1 },
      ],
      { x: 'predicted', y: 'residual' },
      'zero',
    );
    // 420 × 260 with 36 px of padding: x 0 → 36, 10 → 384; y −1 → 224 (bottom), 1 → 36 (top), 0 → 130.
    assert.ok(svg.includes('cx="36.0" cy="224.0"') && svg.includes('cx="384.0" cy="36.0"'), svg);
    assert.ok(svg.includes('y1="130.0"'), svg);
  });

  it('shows what each task stored, and nothing for a report without curves', () => {
    assert.equal(evaluationCharts({}), '');
    const regression = evaluationCharts({ residuals: { rows: 3, points: [{ actual: 1, predicted: 2, residual: -1 }] } });
    assert.match(regression, /Predicted against actual.*Residuals \(actual − predicted\)/s);
    const multiclass = evaluationCharts({
      perClass: [{ class: 'a', support: 1, rocAuc: 1, averagePrecision: 1, roc: [], pr: [] }],
      calibration: [{ predicted: 0.5, observed: 0.5, count: 2 }],
      calibrationOf: 'top-label confidence',
    });
    assert.match(multiclass, /each class against the rest.*a \(AUC 1\).*Reliability \(top-label confidence/s);
  });
});
