// The part of d3-force (out/vendor/d3-force.js, the global `d3`) that the graph view uses, typed
// by hand: the package ships no types, and this is all the view needs. Declarations only.

declare namespace d3 {
  interface SimNode {
    index?: number;
    x?: number;
    y?: number;
    vx?: number;
    vy?: number;
    fx?: number | null;
    fy?: number | null;
  }
  interface SimLink<N> {
    source: string | N;
    target: string | N;
  }
  interface Force<N> {
    (alpha: number): void;
    initialize?(nodes: N[]): void;
  }
  interface Simulation<N extends SimNode> {
    nodes(): N[];
    nodes(nodes: N[]): this;
    force(name: string): Force<N> | undefined;
    force(name: string, force: Force<N> | null): this;
    alpha(): number;
    alpha(a: number): this;
    alphaMin(): number;
    alphaTarget(a: number): this;
    restart(): this;
    stop(): this;
    on(type: 'tick' | 'end', listener: (() => void) | null): this;
  }
  interface LinkForce<N, L> extends Force<N> {
    links(links: L[]): this;
    id(id: (n: N) => string): this;
    distance(d: number | ((l: L) => number)): this;
  }
  interface ManyBodyForce<N> extends Force<N> {
    strength(s: number): this;
    distanceMax(d: number): this;
  }
  interface CollideForce<N> extends Force<N> {
    radius(r: (n: N) => number): this;
  }
  interface PositionForce<N> extends Force<N> {
    strength(s: number): this;
  }
  function forceSimulation<N extends SimNode>(nodes?: N[]): Simulation<N>;
  function forceLink<N, L>(links?: L[]): LinkForce<N, L>;
  function forceManyBody<N>(): ManyBodyForce<N>;
  function forceCollide<N>(): CollideForce<N>;
  function forceX<N>(x?: number): PositionForce<N>;
  function forceY<N>(y?: number): PositionForce<N>;
}

/** The webview's handle to the extension. */
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
