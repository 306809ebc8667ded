// Requests and events of the explorer views (runs, embedding, manifold, traversal, style).
// Owned by the explorer feature; merged into the contract in api.ts.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ExplorerRequests {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ExplorerEvents {}
