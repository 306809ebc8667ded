// Handlers of the explorer views' requests (see contract/explorer.ts).
import type { HandlerMap } from '../context.ts';

export const explorerHandlers: HandlerMap = {};
