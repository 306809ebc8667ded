// Handlers of the style tools' requests (see contract/style.ts).
import { UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { deleteDirection, readDirections } from '../explorer/style-directions-file.ts';
import { defineDirection, sessionStyleReport, styleTransfer } from '../explorer/style-tools.ts';

export const styleHandlers: HandlerMap = {
  'style.report': async ({ runDir, range = 2, steps = 9 }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const dims = await sessionStyleReport(session, range, steps);
    return { dims, range, steps, modelEpoch: session.modelEpoch };
  },

  'style.directions': async ({ runDir }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    return { directions: session.style ? readDirections(session.runDir, session.style) : [] };
  },

  'style.defineDirection': async (params, ctx) => defineDirection(await ctx.sessions.get(params.runDir), params),

  'style.deleteDirection': async ({ runDir, name }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    if (!session.style) throw new UserError(`${session.runDir}: only semi-supervised runs have style directions.`);
    return { directions: deleteDirection(session.runDir, session.style, name) };
  },

  'style.transfer': async ({ runDir, position, file }, ctx) => styleTransfer(await ctx.sessions.get(runDir), { position, file }),
};
