// The backend ladder's choice in a process of its own (webgpu-ops.test.ts starts it with the variables that
// decide the adapter). Prints one JSON line: { backend, label, webgpu: the WebGPU rung's attempt }.
//   node --import tsx tests/unit/helpers/ladder-report.ts
import { initBackend } from '../../../electron/engine/backend.ts';

const info = await initBackend();
console.log(JSON.stringify({ backend: info.backend, label: info.label, webgpu: info.attempts.find((a) => a.name === 'webgpu') }));
process.exit(0);
