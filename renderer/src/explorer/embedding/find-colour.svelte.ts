// Find and colour, as one store: which listed images the Embedding shows (by class, file name, split
// and selection) and what their colour says (class, a known factor, reconstruction error, KL). It asks
// the engine for what it needs (the point facts at once, reconstruction errors when coloured by them)
// and derives the draw order and the per-point colours the point layer takes. Made in a component's
// script (its effects belong to that component).
import { interpolatePlasma, interpolateViridis } from 'd3';
import type { PointFacts } from '../../../../electron/contract/explorer.ts';
import { app } from '../../lib/app.svelte.ts';
import { errorMessage } from '../../lib/errors.ts';
import { UNLABELLED, classColours } from '../draw.ts';
import { data } from '../state.svelte.ts';
import { categoricalColours, continuousColours, drawOrder } from './colours.ts';
import { findMask, type SplitChoice } from './filter.ts';

export type ColourScale =
  | { kind: 'classes' }
  | { kind: 'continuous'; name: string; domain: [number, number]; interpolate: (t: number) => string }
  | { kind: 'categories'; name: string; categories: string[]; palette: string[] };

export class FindAndColour {
  /** 'class', 'recon', 'kl' or 'factor:<index>'. */
  colourBy = $state('class');
  nameQuery = $state('');
  split = $state<SplitChoice>('all');
  onlySelection = $state(false);
  /** Per class, then unlabelled (the last): hidden. */
  hidden = $state<boolean[]>([]);
  facts = $state.raw<PointFacts | null>(null);
  reconErrors = $state.raw<{ errors: Float32Array; modelEpoch: number } | null>(null);
  error = $state('');

  /** The class palette (index = class). */
  readonly classPalette: string[];

  /** Class per point (classes = unlabelled). */
  readonly groups = $derived.by(() => {
    const l = data.latents;
    const K = this.classes;
    if (!l) return new Int32Array(0);
    return Int32Array.from(l.labels.subarray(0, l.count), (c) => (c >= 0 && c < K ? c : K));
  });

  /** Points per class, then unlabelled. */
  readonly counts = $derived.by(() => {
    const c = new Array<number>(this.classes + 1).fill(0);
    for (const g of this.groups) c[g]++;
    return c;
  });

  /** 1 where a point is shown. */
  readonly mask = $derived.by(() =>
    findMask({
      hidden: this.hidden.slice(),
      groups: this.groups,
      name: this.nameQuery,
      files: this.facts?.files ?? null,
      split: this.split,
      splits: this.facts?.split ?? null,
      only: this.onlySelection ? this.selection() : null,
    }),
  );

  readonly shownCount = $derived(this.mask.reduce((a, v) => a + v, 0));

  /** Visible points in draw order (unlabelled underneath). */
  readonly order = $derived.by(() => {
    const m = this.mask;
    return drawOrder(this.groups, this.classes, (i) => m[i] === 1);
  });

  /** RGBA bytes per point, and the scale its legend shows. */
  readonly colouring = $derived.by((): { colours: Uint8Array; scale: ColourScale } => {
    const n = this.groups.length;
    const count = data.latents?.count ?? 0;
    const { colourBy, reconErrors, facts } = this;
    if (colourBy === 'recon' && reconErrors && reconErrors.errors.length === count) {
      const c = continuousColours(reconErrors.errors, interpolateViridis, UNLABELLED);
      return { colours: c.colours, scale: { kind: 'continuous', name: 'Reconstruction error (MSE per pixel)', domain: c.domain, interpolate: interpolateViridis } };
    }
    if (colourBy === 'kl' && facts && facts.kl.length === count) {
      const c = continuousColours(facts.kl, interpolatePlasma, UNLABELLED);
      return { colours: c.colours, scale: { kind: 'continuous', name: 'KL(q(z|x) ‖ p(z)), nats', domain: c.domain, interpolate: interpolatePlasma } };
    }
    if (colourBy.startsWith('factor:') && facts) {
      const f = facts.factors[Number(colourBy.slice(7))];
      if (f && f.values.length === count) {
        if (f.kind === 'categorical' && f.categories) {
          const palette = classColours(f.categories.length);
          const labels = Int32Array.from(f.values, (v) => (Number.isFinite(v) ? v : -1));
          return { colours: categoricalColours(labels, palette, UNLABELLED), scale: { kind: 'categories', name: f.name, categories: f.categories, palette } };
        }
        const c = continuousColours(f.values, interpolateViridis, UNLABELLED);
        return { colours: c.colours, scale: { kind: 'continuous', name: f.name, domain: c.domain, interpolate: interpolateViridis } };
      }
    }
    return { colours: n ? categoricalColours(this.groups, this.classPalette, UNLABELLED) : new Uint8Array(0), scale: { kind: 'classes' } };
  });

  private factsWanted = false;
  private reconWanted = false;

  constructor(
    private readonly runDir: string,
    /** Number of classes (0 for an unlabelled dataset). */
    private readonly classes: number,
    /** The lasso selection (positions), for "only the selection". */
    private readonly selection: () => Int32Array | null,
  ) {
    this.classPalette = classColours(classes);
    this.hidden = Array.from({ length: classes + 1 }, () => false);
    // What each listed image is (file, split, KL, factors): once per model.
    $effect(() => {
      const l = data.latents;
      if (!l || (this.facts && this.facts.modelEpoch === l.modelEpoch) || this.factsWanted) return;
      this.factsWanted = true;
      app.client!.request('explorer.pointFacts', { runDir: this.runDir }).then(
        (f) => {
          this.factsWanted = false;
          this.facts = f;
        },
        (e) => (this.error = errorMessage(e)),
      );
    });
    // Reconstruction errors only when coloured by them (the engine decodes every image once per model).
    $effect(() => {
      const l = data.latents;
      const r = this.reconErrors;
      if (this.colourBy !== 'recon' || !l || (r && r.modelEpoch === l.modelEpoch) || this.reconWanted) return;
      this.reconWanted = true;
      app.client!.request('explorer.reconErrors', { runDir: this.runDir }).then(
        (result) => {
          this.reconWanted = false;
          this.reconErrors = result;
        },
        (e) => (this.error = errorMessage(e)),
      );
    });
  }

  /** Shows or hides a class (classes = unlabelled). */
  toggle(group: number): void {
    this.hidden[group] = !this.hidden[group];
  }

  showAll(shown: boolean): void {
    this.hidden = this.hidden.map(() => !shown);
  }
}
