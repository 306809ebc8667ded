// "Copy link" in the browser host: the open view (without its cached coordinates) in the address's
// fragment, #view=<base64url JSON>. Never the access token: the link is built from the page's origin
// and path only, and a fragment is not sent to the server. The tab that opens it connects with the
// token it already holds (sessionStorage), or the user adds ?token= from `serve`'s output.
import type { SavedView } from '../../../electron/contract/explorer.ts';

const PREFIX = '#view=';

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The link to a view: origin and path of the page, the view in the fragment; no query (where the token is). */
export function viewLink(view: SavedView, page: { origin: string; pathname: string }): string {
  const { coords: _coords, coordsEpoch: _epoch, savedAt: _saved, ...rest } = view;
  return `${page.origin}${page.pathname}${PREFIX}${toBase64Url(JSON.stringify(rest))}`;
}

/** The view in an address's fragment, or null when there is none or it is not a view. */
export function viewFromHash(hash: string): SavedView | null {
  if (!hash.startsWith(PREFIX)) return null;
  try {
    const v = JSON.parse(fromBase64Url(hash.slice(PREFIX.length)));
    if (!v || typeof v !== 'object' || v.version !== 1 || typeof v.runDir !== 'string' || typeof v.tab !== 'string' || typeof v.embedding !== 'object') return null;
    return { neighbours: { k: 8, metric: 'euclidean' }, walk: { steps: 10, path: 'spherical' }, sliders: {}, names: [], anchor: null, walkTarget: null, selection: null, ...v };
  } catch {
    return null;
  }
}
