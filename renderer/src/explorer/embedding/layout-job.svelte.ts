// The Embedding's optimised layouts (t-SNE, UMAP) as stores: each starts explorer.embed through
// followJob (which matches the job's frames, also those that beat the reply), holds the latest
// coordinates and progress, stops and disposes. The view only reads their state.
import { followJob, type FollowedJob } from '../../../../electron/contract/client.ts';
import type { EmbedMethod, LatentPart } from '../../../../electron/contract/explorer.ts';
import { app } from '../../lib/app.svelte.ts';
import { errorMessage } from '../../lib/errors.ts';

export interface LayoutSettings {
  part: LatentPart;
  /** t-SNE's perplexity (UMAP ignores it). */
  perplexity: number;
  /** t-SNE's iterations or UMAP's epochs. */
  iterations: number;
  seed: number;
  /** UMAP's neighbours per point and minimum distance. */
  neighbours?: number;
  minDist?: number;
}

export class LayoutJob {
  coords = $state.raw<Float32Array | null>(null);
  progress = $state({ iteration: 0, iterations: 0, running: false, kl: undefined as number | undefined });
  /** Model epoch of the latents the layout was made from. */
  epoch = $state<number | null>(null);
  error = $state('');

  private job: FollowedJob | null = null;
  private disposed = false;

  constructor(
    private readonly runDir: string,
    readonly method: EmbedMethod,
  ) {}

  /** Starts a layout (the running one is cancelled); `epoch` is the model epoch of the latents shown. */
  async run(settings: LayoutSettings, epoch: number): Promise<void> {
    this.error = '';
    this.stopJob();
    const { iterations } = settings;
    try {
      const followed = await followJob(app.client!, 'explorer.embed', { runDir: this.runDir, ...settings, method: this.method }, {
        on: {
          'explorer.embedFrame': (f) => {
            this.coords = f.coords;
            this.progress = { iteration: f.iteration, iterations: f.iterations, running: !f.done, kl: f.kl };
          },
        },
        failed: (f) => {
          this.progress = { ...this.progress, running: false };
          if (!f.cancelled) this.error = f.message;
        },
        // The reply comes before the job's frames: a layout computed before comes with it.
        started: (r) => {
          if (this.disposed) return;
          this.epoch = epoch;
          if (r.coords) {
            this.coords = r.coords;
            this.progress = { iteration: iterations, iterations, running: false, kl: undefined };
          } else this.progress = { iteration: 0, iterations, running: true, kl: undefined };
        },
      });
      // The view closed while the engine encoded the images: stop the layout nobody will see.
      if (this.disposed) {
        followed.dispose();
        void followed.cancel().catch(() => {});
        return;
      }
      this.job = followed;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  stop(): void {
    void this.job?.cancel().catch(() => {});
    this.progress = { ...this.progress, running: false };
  }

  dispose(): void {
    this.disposed = true;
    this.stopJob();
  }

  private stopJob(): void {
    this.job?.dispose();
    void this.job?.cancel().catch(() => {});
    this.job = null;
  }
}
