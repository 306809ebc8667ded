// Electron main: windows, the menu, native dialogs and the IPC relay to the engine process.
// It does no work of its own; training and everything heavy runs in the engine (utilityProcess).
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell, utilityProcess } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Params, Result } from '../contract/api.ts';
import type { Message, ReplyMessage } from '../contract/messages.ts';
import { isMessage } from '../contract/messages.ts';
import { ENGINE_V8_FLAGS } from '../host/engine-flags.ts';
import { superviseEngine, type EngineChild, type EngineSupervisor } from '../host/engine-supervisor.ts';
import { loadBounds, trackBounds } from './window-state.ts';
import { APP_SCHEME, appMimeType, appRequestFile, appStartUrl, isTrustedSender, permissionAllowed, refusedFromRenderer, SaveGrants, windowOpenDecision } from './security.ts';

// The renderer loads from app://bundle/ (standard and secure, like https), not file://.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
/** Output paths main's own save dialog returned: the only ones an export may write to. */
const saveGrants = new SaveGrants();

const CHANNEL = 'latent-explorer:message';
const here = dirname(fileURLToPath(import.meta.url));
let engine: EngineSupervisor | null = null;
let win: BrowserWindow | null = null;

const toWindow = (message: Message) => win?.webContents.send(CHANNEL, message);

/** The engine in Electron's utility process; its lifecycle (restarts, failed requests) is the supervisor's. */
function startEngine(): EngineChild {
  const child = utilityProcess.fork(join(here, 'engine.js'), [], { serviceName: 'Latent Explorer engine', stdio: 'inherit', execArgv: [...ENGINE_V8_FLAGS] });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => child.postMessage(message),
    onMessage: (handler) =>
      child.on('message', (message: unknown) => {
        if (isMessage(message)) handler(message);
      }),
    onExit: (handler) => child.on('exit', (code) => handler(code, null)),
    // kill() sends SIGTERM: the engine checkpoints a training run (at most 5 s) and exits.
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        if (!child.kill()) resolve();
      }),
  };
}

/** Requests the shell answers itself, because only it has native dialogs. */
async function answerLocally(message: Message): Promise<ReplyMessage | null> {
  if (message.kind !== 'request' || !win) return null;
  if (message.method === 'host.pickFolder') {
    const params = (message.params ?? {}) as Params<'host.pickFolder'>;
    const result = await dialog.showOpenDialog(win, { title: params.title ?? 'Open an image folder', properties: ['openDirectory'] });
    return { kind: 'reply', id: message.id, result: { path: result.canceled ? null : (result.filePaths[0] ?? null) } };
  }
  if (message.method === 'host.saveFile') {
    const params = message.params as Params<'host.saveFile'>;
    const result = await dialog.showSaveDialog(win, {
      title: params.title,
      defaultPath: join(app.getPath('documents'), params.defaultName),
      filters: params.filters?.length ? [...params.filters, { name: 'All files', extensions: ['*'] }] : undefined,
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    const path = result.canceled ? null : (result.filePath ?? null);
    if (path) saveGrants.grant(path);
    // The dialog asks before replacing a file; a folder bundle is asked about by the app itself.
    const reply: Result<'host.saveFile'> = { path, overwriteConfirmed: path !== null && !params.folder };
    return { kind: 'reply', id: message.id, result: reply };
  }
  return null;
}

function createWindow(): void {
  const bounds = loadBounds();
  win = new BrowserWindow({
    ...bounds,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Latent Explorer',
    icon: join(here, '..', '..', 'resources', 'icons', 'icon.png'),
    webPreferences: {
      preload: join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  if (bounds.maximized) win.maximize();
  trackBounds(win);
  win.once('ready-to-show', () => win?.show());
  // Links open in the user's browser, never inside the app window.
  win.webContents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternally) void shell.openExternal(url); // https only
    return { action: decision.action };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  // `--open <folder|sample:mnist>` opens a dataset at start (npm start passes the sample).
  const at = process.argv.indexOf('--open');
  const open = at > 0 ? process.argv[at + 1] : undefined;
  void win.loadURL(appStartUrl(open));
}

function buildMenu(): void {
  const send = (action: 'openFolder' | 'openSample') =>
    win?.webContents.send(CHANNEL, { kind: 'event', name: 'host.action', data: { action } } satisfies Message);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => send('openFolder') },
          { label: 'Open MNIST Sample', click: () => send('openSample') },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ]),
  );
}


app.whenReady().then(() => {
  const rendererDir = join(here, '..', 'renderer');
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appRequestFile(request.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).href);
    return new Response(response.body, { status: response.status, headers: { 'Content-Type': appMimeType(file) } });
  });
  // No permission (camera, notifications, geolocation...) is ever granted.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionAllowed(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => permissionAllowed(permission));
  engine = superviseEngine({ start: startEngine, deliver: toWindow, giveUpAdvice: 'Quit and restart Latent Explorer.' });
  ipcMain.on(CHANNEL, async (event, message: unknown) => {
    if (!isMessage(message) || event.sender !== win?.webContents) return;
    if (!isTrustedSender(event.senderFrame, win.webContents.mainFrame)) return;
    const refusal = refusedFromRenderer(message, saveGrants);
    if (refusal && message.kind === 'request') {
      toWindow({ kind: 'reply', id: message.id, error: { message: refusal, code: 'bad-input' } });
      return;
    }
    const local = await answerLocally(message);
    if (local) toWindow(local);
    else engine?.send(message);
  });
  buildMenu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('before-quit', (event) => {
  if (!engine) return;
  // Let the engine checkpoint a training run before the app goes (it takes at most 5 s).
  event.preventDefault();
  const stopping = engine;
  engine = null;
  void stopping.stop().then(() => app.quit());
  setTimeout(() => app.exit(0), 8000).unref();
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
