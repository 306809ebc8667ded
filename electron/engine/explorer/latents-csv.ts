// The CSV of `encode`: one row per image, file,mean_1..mean_L,logvar_1..logvar_L.
import { csvField } from '../exports/embedding-table.ts';

export function latentsCsv(files: string[], means: Float32Array, logVars: Float32Array, latent: number): string {
  const header = ['file', ...Array.from({ length: latent }, (_, d) => `mean_${d + 1}`), ...Array.from({ length: latent }, (_, d) => `logvar_${d + 1}`)];
  const lines = [header.join(',')];
  for (let i = 0; i < files.length; i++) {
    const cells = [csvField(files[i])];
    for (let d = 0; d < latent; d++) cells.push(String(means[i * latent + d]));
    for (let d = 0; d < latent; d++) cells.push(String(logVars[i * latent + d]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
