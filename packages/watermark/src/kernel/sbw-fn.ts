/**
 * vLLM SBW's seeds and words in WebAssembly (engines/sbw.ts sbwDetectFast is the
 * reference): Jenkins-hashed seeds with native i64 products, then one Philox call per
 * position.
 *   sbw(pad, n, w, kLo, kHi, mode, seeds, words)
 *     the context of position i is pad[i .. i+w) (-1 pads first), its token pad[i+w];
 *     mode 0 selfhash: seed = min_signed(K h(v)^2, K h(v) h(ctx_j) for j = 1..w-1);
 *     mode 1 lefthash as the detector seeds: K Σ h(ctx_j); mode 2 as the generator: K Σ ctx_j;
 *     seeds[i] (i64) = seed, words[i] = word t & 3 of Philox((t >> 2, 0, 0, 0), (lo, hi of seed))
 */
import { addr4, philoxLocals, philoxRounds } from './emit.js';
import { FnBuilder, I32, I64 } from './wasm.js';

/** Replaces the i32 on top of the stack with Bob Jenkins' mix as the PR writes it (jenkins.ts); uses local t. */
function jenkins(f: FnBuilder, t: number): void {
  f.i32(1).i32Add().set(t);
  f.get(t).get(t).i32(6).i32Shl().i32Sub().set(t);
  f.get(t).get(t).i32(17).i32ShrS().i32Xor().set(t);
  f.get(t).get(t).i32(9).i32Shl().i32Sub().set(t);
  f.get(t).get(t).i32(4).i32Shl().i32Xor().set(t);
  f.get(t).get(t).i32(3).i32Shl().i32Sub().set(t);
  f.get(t).get(t).i32(10).i32Shl().i32Xor().set(t);
  f.get(t).get(t).i32(15).i32ShrS().i32Xor();
}

export function sbwFn(): FnBuilder {
  const [pad, n, w, kLo, kHi, mode, seedsOut, wordsOut] = [0, 1, 2, 3, 4, 5, 6, 7];
  const f = new FnBuilder('sbw', [I32, I32, I32, I32, I32, I32, I32, I32], []);
  const l = philoxLocals(f);
  const i = f.local(I32), j = f.local(I32), at = f.local(I32), t = f.local(I32), tok = f.local(I32), tmp = f.local(I32);
  const key = f.local(I64), kv = f.local(I64), seed = f.local(I64), s = f.local(I64), sum = f.local(I64);
  f.get(kLo).i64ExtendI32U().get(kHi).i64ExtendI32U().i64(32n).i64Shl().i64Or().set(key);
  const ctxAt = (): void => {
    f.get(i).get(j).i32Add().set(at);
    addr4(f, pad, at);
    f.loadI32(0);
  };
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).i32GeU().brIf(1);
  f.get(i).get(w).i32Add().set(at);
  addr4(f, pad, at);
  f.loadI32(0).set(tok);
  f.get(mode).i32Eqz().if();
  // selfhash
  f.get(tok);
  jenkins(f, t);
  f.i64ExtendI32S().set(s);
  f.get(key).get(s).i64Mul().tee(kv).get(s).i64Mul().set(seed);
  f.i32(1).set(j);
  f.block().loop();
  f.get(j).get(w).i32GeU().brIf(1);
  ctxAt();
  jenkins(f, t);
  f.i64ExtendI32S().get(kv).i64Mul().set(s);
  f.get(s).get(seed).get(s).get(seed).i64LtS().select().set(seed);
  f.get(j).i32(1).i32Add().set(j);
  f.br(0).end().end();
  f.else();
  // lefthash: the sum of the context's hashes (detector) or raw ids (generator), times K
  f.i64(0n).set(sum).i32(0).set(j);
  f.block().loop();
  f.get(j).get(w).i32GeU().brIf(1);
  ctxAt();
  f.set(tmp);
  f.get(tmp).get(tmp);
  jenkins(f, t);
  f.get(mode).i32(2).op(0x46).select(); // i32.eq: the generator sums raw ids, the detector their hashes
  f.i64ExtendI32S().get(sum).i64Add().set(sum);
  f.get(j).i32(1).i32Add().set(j);
  f.br(0).end().end();
  f.get(key).get(sum).i64Mul().set(seed);
  f.end();
  f.get(seedsOut).get(i).i32(3).i32Shl().i32Add().get(seed).storeI64(0);
  f.get(tok).i32(2).i32ShrU().set(l.x0);
  f.i32(0).set(l.x1).i32(0).set(l.x2).i32(0).set(l.x3);
  f.get(seed).i32WrapI64().set(l.a);
  f.get(seed).i64(32n).i64ShrU().i32WrapI64().set(l.b);
  philoxRounds(f, l);
  addr4(f, wordsOut, i);
  f.get(l.x3).get(l.x2).get(tok).i32(1).i32And().select();
  f.get(l.x1).get(l.x0).get(tok).i32(1).i32And().select();
  f.get(tok).i32(2).i32And().select();
  f.storeI32(0);
  f.get(i).i32(1).i32Add().set(i);
  f.br(0).end().end();
  return f;
}
