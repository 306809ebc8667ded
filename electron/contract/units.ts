// What a loss number means, said the same way in every view and in the CLI. −ELBO and −log p(x) are
// in nats per image. For a continuous likelihood (Gaussian) they are densities over pixel values in
// [0, 1], so they can be negative, and bits per dimension is the literature's unit: the density
// moved to 8-bit pixel units, bits/dim = (nats + D·ln 256) / (D·ln 2) with D values per image (as in
// Theis et al. 2016 and the flow/VAE papers that report CIFAR-10 in bits/dim).

export type LikelihoodKind = 'bernoulli' | 'gaussian';

/** Bits per dimension of `nats` per image over `dims` pixel values in [0, 1]. */
export function bitsPerDim(nats: number, dims: number): number {
  return (nats + dims * Math.log(256)) / (dims * Math.LN2);
}

/** One sentence on the unit, for captions and tooltips. */
export function lossUnitsNote(likelihood: LikelihoodKind, dims: number, objective?: string): string {
  // the model's own loss (the denoising autoencoder's reconstruction loss, PPCA/FA's −log p(x)), not always an ELBO
  const name = lossName(objective);
  if (likelihood === 'bernoulli') return `${name} in nats per image (lower is better): a probability of the binary pixels, never negative.`;
  return (
    `${name} in nats per image (lower is better). The Gaussian likelihood gives a density over ${dims.toLocaleString('en')} continuous values, ` +
    'so it can be negative; bits/dim (8-bit pixel units, as in the literature) compares across image sizes.'
  );
}

/** "123.4 nats" or, for a continuous likelihood, "−1,020.5 nats · 4.82 bits/dim". */
export function formatLoss(nats: number, likelihood: LikelihoodKind, dims: number, digits = 2): string {
  const n = `${nats < 0 ? '−' : ''}${Math.abs(nats).toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} nats`;
  return likelihood === 'gaussian' ? `${n} · ${bitsPerDim(nats, dims).toFixed(3)} bits/dim` : n;
}

/**
 * What a model's test loss is: the exact −log p(x) for the linear Gaussian models (PPCA, FA), the
 * reconstruction loss −log p(x | g(f(x))) for the denoising autoencoder (no posterior, so no ELBO), else −ELBO.
 */
export function lossName(objective: string | undefined): string {
  if (objective === 'ppca' || objective === 'fa') return '−log p(x)';
  if (objective === 'dae') return 'reconstruction loss';
  return '−ELBO';
}
