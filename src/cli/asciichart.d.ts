// asciichart ships no types; these are the parts the command line uses.
declare module 'asciichart' {
  interface PlotConfig {
    height?: number;
    offset?: number;
    padding?: string;
    colors?: string[];
    format?: (x: number, i: number) => string;
    min?: number;
    max?: number;
  }
  const asciichart: {
    plot(series: number[] | number[][], config?: PlotConfig): string;
    blue: string;
    red: string;
    green: string;
    default: string;
  };
  export default asciichart;
}
