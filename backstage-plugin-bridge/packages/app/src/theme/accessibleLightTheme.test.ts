import { getContrastRatio } from '@material-ui/core/styles';
import { palettes } from '@backstage/theme';
import { accessibleLightTheme } from './accessibleLightTheme';

// Secondary text is a translucent black: its colour is what it gives over the grey it is drawn on.
function over(background: string, rgba: string): string {
  const [, , , alpha] = rgba.match(/[\d.]+/g)!.map(Number);
  const channel = Math.round(
    parseInt(background.slice(1, 3), 16) * (1 - alpha),
  );
  return `rgb(${channel}, ${channel}, ${channel})`;
}

describe('the demo app light theme', () => {
  const { palette } = accessibleLightTheme.getTheme('v4')!;
  // The page's grey and the striped rows' grey, besides the paper's white.
  const backgrounds = [
    palette.background.paper,
    palettes.light.background.default,
    '#f5f5f5',
  ];

  it.each(backgrounds)('has error text at 4.5:1 or more on %s', background => {
    expect(
      getContrastRatio(palette.error.main, background),
    ).toBeGreaterThanOrEqual(4.5);
  });

  it.each(backgrounds)(
    'has secondary text at 4.5:1 or more on %s',
    background => {
      expect(
        getContrastRatio(over(background, palette.text.secondary), background),
      ).toBeGreaterThanOrEqual(4.5);
    },
  );
});
