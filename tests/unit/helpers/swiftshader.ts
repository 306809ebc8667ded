// SwiftShader, the Vulkan driver that runs on the CPU, as Debian's Chromium ships it beside itself. A
// process started with these variables finds a WebGPU adapter through Dawn (a software one, which the app's
// ladder refuses unless LATENT_EXPLORER_WEBGPU_SOFTWARE=1), so the WebGPU rung's test and bench run on a
// machine without a GPU. Dawn opens the Vulkan loader in the process, which reads LD_LIBRARY_PATH only as
// it starts: the variables go to a child process, not into process.env.
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/lib/chromium';

/** The environment that gives a child process SwiftShader's adapter, or null where Chromium's copy is absent. */
export function swiftshaderEnv(): Record<string, string> | null {
  const icd = `${CHROMIUM}/vk_swiftshader_icd.json`;
  if (process.platform !== 'linux' || !existsSync(icd) || !existsSync(`${CHROMIUM}/libvulkan.so.1`)) return null;
  return {
    LD_LIBRARY_PATH: [CHROMIUM, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    VK_ICD_FILENAMES: icd,
    LATENT_EXPLORER_WEBGPU_SOFTWARE: '1',
  };
}
