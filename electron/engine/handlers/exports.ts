// Handlers of the export requests (see contract/exports.ts).
import type { HandlerMap } from '../context.ts';

export const exportHandlers: HandlerMap = {};
