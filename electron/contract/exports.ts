// Requests and events of the exports (GIFs, PNGs, CSV tables, model bundles).
// Owned by the exports feature; merged into the contract in api.ts.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ExportRequests {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ExportEvents {}
