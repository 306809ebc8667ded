// Whether this machine can build the native kernels and whether they loaded, for tests that need them.
import { spawnSync } from 'node:child_process';
import { nativeKernelsStatus } from '../../../models/native/kernels.ts';

/** A C++ compiler is here: `npm run setup` built the native kernels, so they must load. */
export const compilerPresent = spawnSync('c++', ['--version']).status === 0;

const status = nativeKernelsStatus();
/**
 * '' where the native kernels loaded; else the suffix of the name of a test that needs them, saying why it
 * is skipped (`it.skipIf(withoutNative)(`name${withoutNative}`, …)`).
 */
export const withoutNative = status.loaded ? '' : ` (skipped: native kernels not loaded: ${status.reason})`;
