// The CLI's shared option checks: every bad value is refused in one line that names the flag.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutput, choiceOption, intOption, numberOption, onePositional } from '../../electron/cli/args.ts';
import { UsageError } from '../../electron/cli/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'le-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI option checks', () => {
  it('reads whole numbers and numbers within their ranges, and absent options as undefined', () => {
    expect(intOption({ epochs: '12' }, 'epochs', { min: 1 })).toBe(12);
    expect(intOption({}, 'epochs', { min: 1 })).toBeUndefined();
    expect(numberOption({ lr: '1e-3' }, 'lr', { above: 0, below: 1 })).toBe(0.001);
    expect(() => intOption({ epochs: '2.5' }, 'epochs', { min: 1 })).toThrow("--epochs must be a whole number >= 1 (got '2.5')");
    expect(() => intOption({ epochs: '' }, 'epochs', { min: 1 })).toThrow(UsageError);
    expect(() => numberOption({ lr: '1' }, 'lr', { above: 0, below: 1 })).toThrow("--lr must be a number between 0 and 1 (got '1')");
    expect(() => intOption({ port: '70000' }, 'port', { min: 0, max: 65535 })).toThrow("--port must be a whole number from 0 to 65535 (got '70000')");
  });

  it('takes one of fixed words', () => {
    expect(choiceOption({ fit: 'cover' }, 'fit', ['contain', 'cover', 'fill'])).toBe('cover');
    expect(() => choiceOption({ fit: 'stretch' }, 'fit', ['contain', 'cover', 'fill'])).toThrow("--fit must be contain, cover or fill (got 'stretch')");
  });

  it('wants exactly one input', () => {
    expect(onePositional(['a'], 'eval', 'run folder')).toBe('a');
    expect(() => onePositional([], 'eval', 'run folder')).toThrow(/eval needs a run folder/);
    expect(() => onePositional(['a', 'b'], 'eval', 'run folder')).toThrow(/takes one run folder, got 2/);
  });

  it('never overwrites without --force, never writes over the input or onto a folder', () => {
    const existing = join(dir, 'out.csv');
    writeFileSync(existing, 'keep me');
    expect(() => checkOutput(existing, { force: false })).toThrow(/already exists \(use --force to replace it\)/);
    expect(checkOutput(existing, { force: true })).toBe(existing);
    expect(() => checkOutput(existing, { force: true, input: existing })).toThrow(/is the input/);
    expect(() => checkOutput(dir, { force: true })).toThrow(/is a folder/);
    expect(checkOutput(join(dir, 'new.csv'), { force: false })).toBe(join(dir, 'new.csv'));
  });
});
