// The package targets browsers and Node alike, so it compiles without the DOM or
// Node type libraries; these are the only platform globals it touches.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
