// The Compare page's numeric columns: what each is called, how it prints, which way is better (the
// first click on a header sorts best first), and the sort itself. Pure, so it is unit-tested.
import type { CompareColumn, CompareRow } from '../../../electron/contract/compare.ts';

export interface ColumnInfo {
  key: CompareColumn;
  /** Header text. */
  label: string;
  /** Axis title of the scatter plot. */
  axis: string;
  /** What it is, for the header's tooltip. */
  title: string;
  /** Lower is better (losses): the first click sorts ascending. */
  lowerIsBetter: boolean;
  format(v: number): string;
}

const fixed = (digits: number) => (v: number) => v.toFixed(digits);

export const COLUMNS: ColumnInfo[] = [
  { key: 'beta', label: 'β', axis: 'β', title: 'β of β-VAE; for β-TCVAE the weight of the total correlation term', lowerIsBetter: false, format: (v) => String(+v.toFixed(2)) },
  { key: 'latent', label: 'z', axis: 'latent dimensions', title: 'Latent dimensions', lowerIsBetter: false, format: String },
  { key: 'negElbo', label: '−ELBO', axis: 'test −ELBO (nats)', title: 'Test −ELBO, nats per image (lower is better)', lowerIsBetter: true, format: fixed(2) },
  { key: 'negIwae', label: '−IWAE', axis: 'test −IWAE (nats)', title: 'Importance-weighted bound on −log p(x), nats per image (lower is better; choose IWAE samples above)', lowerIsBetter: true, format: fixed(2) },
  { key: 'activeUnits', label: 'AU', axis: 'active units', title: 'Active units: dimensions whose mean test KL exceeds 0.01 nats', lowerIsBetter: false, format: String },
  { key: 'totalCorrelation', label: 'TC', axis: 'total correlation (nats)', title: 'Total correlation of the test latent means under a Gaussian fit, nats (lower: less dependent dimensions)', lowerIsBetter: true, format: fixed(2) },
  { key: 'accuracy', label: 'Accuracy', axis: 'accuracy', title: 'Semi-supervised runs: class accuracy on the labelled test images', lowerIsBetter: false, format: (v) => `${(100 * v).toFixed(1)}%` },
  { key: 'mig', label: 'MIG', axis: 'MIG', title: 'Mutual information gap against the dataset’s factors (factors.csv)', lowerIsBetter: false, format: fixed(3) },
  { key: 'sap', label: 'SAP', axis: 'SAP', title: 'Separated attribute predictability against the dataset’s factors', lowerIsBetter: false, format: fixed(3) },
  { key: 'dciDisentanglement', label: 'DCI-D', axis: 'DCI disentanglement', title: 'DCI disentanglement (gradient-boosted trees’ importances)', lowerIsBetter: false, format: fixed(3) },
  { key: 'dciCompleteness', label: 'DCI-C', axis: 'DCI completeness', title: 'DCI completeness', lowerIsBetter: false, format: fixed(3) },
  { key: 'dciInformativeness', label: 'DCI-I', axis: 'DCI informativeness', title: 'DCI informativeness (test accuracy or R² of the predictor)', lowerIsBetter: false, format: fixed(3) },
  {
    key: 'privateAuc',
    label: 's AUC',
    axis: 'probe AUC of s from z^X',
    title: 'Fair VAE runs: how predictable the private attribute s is from z^X on the test images (AUC of a logistic regression fitted on the training images; 0.5 = chance, lower is fairer)',
    lowerIsBetter: true,
    format: fixed(3),
  },
  {
    key: 'privateReferenceAuc',
    label: 's AUC, plain VAE',
    axis: 'probe AUC of s, plain VAE reference',
    title: 'Fair VAE runs: the same probe on the plain VAE trained beside the run with the same settings',
    lowerIsBetter: true,
    format: fixed(3),
  },
];

export const columnInfo = (key: CompareColumn): ColumnInfo => COLUMNS.find((c) => c.key === key)!;

/** The cell's value, or undefined where the run has none (no factors, not semi-supervised, IWAE skipped). */
export function valueOf(row: CompareRow, key: CompareColumn): number | undefined {
  const v = row[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function formatCell(row: CompareRow, key: CompareColumn): string {
  const v = valueOf(row, key);
  return v === undefined ? '—' : columnInfo(key).format(v);
}

export type SortKey = CompareColumn | 'name' | 'objective';
export interface SortOrder {
  key: SortKey;
  ascending: boolean;
}

/** The order after a click on a header: the same column flips, a new one starts best first. */
export function nextSort(current: SortOrder | null, key: SortKey): SortOrder {
  if (current?.key === key) return { key, ascending: !current.ascending };
  return { key, ascending: key === 'name' || key === 'objective' ? true : columnInfo(key).lowerIsBetter };
}

/** Rows in this order; runs without a value go last either way, ties keep their order. */
export function sortRows(rows: readonly CompareRow[], order: SortOrder | null): CompareRow[] {
  const out = [...rows];
  if (!order) return out;
  const { key, ascending } = order;
  const sign = ascending ? 1 : -1;
  if (key === 'name' || key === 'objective') return out.sort((a, b) => sign * a[key].localeCompare(b[key]));
  return out.sort((a, b) => {
    const x = valueOf(a, key);
    const y = valueOf(b, key);
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    return sign * (x - y);
  });
}

/** A short name for a dataset reference: the MNIST sample, or a folder's last part. */
export function datasetLabel(ref: string): string {
  if (ref === 'sample:mnist') return 'MNIST sample';
  return ref.split(/[\\/]/).filter(Boolean).pop() ?? ref;
}
