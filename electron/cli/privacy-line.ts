// The fair VAE's probe figures as the CLI prints them (train's summary, eval).
import type { PrivacyFigures } from '../contract/training.ts';

/** fair-vae: the probe's figures in one line, the reference beside them. */
export function privacyLine(p: PrivacyFigures): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
  const reference = p.referenceAuc !== undefined ? `; plain VAE with the same settings: ${f(p.referenceAuc)}${p.referenceTestLoss != null ? ` (its test −ELBO ${p.referenceTestLoss.toFixed(2)} nats/image)` : ''}` : '';
  return `how predictable ${p.attribute} is from z^X (probe AUC on ${p.test} test images, 0.5 = chance): ${f(p.auc)}${reference}`;
}
