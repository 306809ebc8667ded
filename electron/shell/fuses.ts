// Electron fuses for a packaged app (flipped into the binary by scripts/flip-fuses.mjs from the
// packager's afterPack hook): no running as plain Node, no NODE_OPTIONS or --inspect, the app only
// from its asar archive, checked against its integrity hash.
export const FUSES = {
  version: 1,
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  enableCookieEncryption: true,
  grantFileProtocolExtraPrivileges: false,
} as const;
