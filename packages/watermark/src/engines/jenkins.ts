// Bob Jenkins' 32-bit integer mix as vLLM's SBW PR writes it: signed int32 arithmetic
// with arithmetic right shifts on wrap32(x + 1); h(-1) = 0.

export function jenkinsHash(x: number): number {
  let i = (x + 1) | 0;
  i = (i - (i << 6)) | 0;
  i ^= i >> 17;
  i = (i - (i << 9)) | 0;
  i ^= i << 4;
  i = (i - (i << 3)) | 0;
  i ^= i << 10;
  i ^= i >> 15;
  return i;
}
