/** Signature schemes: secrets, HMACs, signed messages, header formats, inbound verification, outbound signing. */
export * from './signature.types';
export { decodeSecret } from './secret';
export { computeSignature, safeEqual, type SignatureAlgorithm } from './hmac';
export { buildSignedMessage } from './signed-message';
export { extractCandidateSignatures, type SignatureHeaderSettings } from './signature-header';
export { verifySignature } from './verify-signature';
export { rotationOpen, signOutbound, type OutboundSigningInput } from './outbound-signing';
