/** Provider presets (SPEC §4) and the resolution of an endpoint's inbound security settings. */
export {
  PRESETS,
  PRESET_NAMES,
  isPresetName,
  type PresetDefinition,
  type PresetSignature,
} from './presets';
export {
  resolveInboundSecurity,
  SIGNATURE_DEFAULTS,
  type InboundSecurityInput,
  type ResolvedInboundSecurity,
  type ResolveOptions,
} from './resolve-inbound-security';
export {
  answerBodyHandshake,
  answerMetaHandshake,
  HANDSHAKES,
  type HandshakeName,
  type HandshakeAnswer,
  type HandshakeSettings,
} from './handshakes';
