/**
 * Base64 decoding for the WebAssembly modules embedded as text.
 *
 * @module
 */

/** Decodes base64 without Node's Buffer, so the same code runs in a browser. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
