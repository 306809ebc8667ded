// The only bridge between the sandboxed page and Electron: two functions that carry contract
// messages, and one that tells a dropped folder's path (File.path is gone since Electron 32).
// The page gets no Node, no ipcRenderer, nothing else.
import { contextBridge, ipcRenderer, webUtils } from 'electron';

contextBridge.exposeInMainWorld('latentExplorerBridge', {
  send: (message: unknown) => ipcRenderer.send('latent-explorer:message', message),
  onMessage: (handler: (message: unknown) => void) => {
    ipcRenderer.on('latent-explorer:message', (_event, message) => handler(message));
  },
  pathForFile: (file: File) => webUtils.getPathForFile(file),
});
