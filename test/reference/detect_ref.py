#!/usr/bin/env python3
"""Independent reference for docs/SPEC.md 1.1 §7 (detection from token ids): the order of the
per-position rules, exclusion by window seed (unigram: by token) before deduplication, the
exact tests at gamma_eff, N = 0, and payload decoding with its exact family-wise p-value.
Written from the specification only; probabilities are computed with exact rationals
(gamma_eff = T / 2^32 is rational), so they do not share any numerics with the TypeScript.

Reads {"cases": [{"spec", "key", "tokens", "exclude": [[ids]], "specials": [ids]}]} on stdin
and prints one result object per case (JSON).
"""
import json
import math
import struct
import sys
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from tracemark_ref import le32, siphash24, subkey  # noqa: E402


class Wm:
    def __init__(self, spec, key: bytes):
        self.spec = spec
        self.scheme = spec["scheme"]["name"]
        self.h = 0 if self.scheme == "unigram" else spec["context"]["width"]
        self.mode = spec["context"]["mode"]
        self.kc = subkey(key, "context")
        self.ks = subkey(key, self.scheme)
        self.kp = subkey(key, "payload-position")
        self.T = math.floor(spec["scheme"].get("gamma", 0.5) * 2**32)

    def H(self, t):
        return siphash24(self.kc, le32(t))

    def window_seed(self, toks, i):  # window of position i (t_{i-h} .. t_{i-1}); self: the window part
        if self.scheme == "unigram":
            return 0
        w = toks[i - self.h:i]
        if self.mode == "left":
            return siphash24(self.kc, le32(*w))
        return min(self.H(t) for t in w)

    def token_seed(self, w, v):
        if self.scheme == "unigram":
            return 0
        return min(w, self.H(v)) if self.mode == "self" else w

    def prf(self, s, v):
        return siphash24(self.ks, struct.pack("<Q", s) + le32(v))

    def score(self, x):
        if self.scheme in ("kgw", "unigram"):
            return 1 if (x >> 32) < self.T else 0
        if self.scheme == "synthid":
            return sum((x >> l) & 1 for l in range(self.spec["scheme"]["layers"]))
        r = ((x >> 11) + 0.5) / 2**53
        return -math.log1p(-r)


def ln_frac(p: Fraction) -> float:
    if p == 0:
        return -math.inf
    return math.log(p.numerator) - math.log(p.denominator)


def binom_upper(s, n, p: Fraction) -> Fraction:
    if s <= 0:
        return Fraction(1)
    return sum((math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(s, n + 1)), Fraction(0))


def gamma_upper_ln(n, s):  # Q(n, s) = P(Poisson(s) <= n - 1), n integer
    terms = [-s + k * math.log(s) - math.lgamma(k + 1) for k in range(n)]
    m = max(terms)
    return min(0.0, m + math.log(sum(math.exp(t - m) for t in terms)))


def max_pmf(n, r, g: Fraction):
    """Exact pmf of max_c X_c, (X_1..X_r, rest) ~ Multinomial(n; g, ..., g, 1 - r g)."""
    q = 1 - r * g
    cdf = []
    for k in range(n + 1):
        # P(all X_c <= k) = n! sum_j [coef of g^j/...] ... by DP over colours on the total j
        f = [Fraction(0)] * (n + 1)
        f[0] = Fraction(1)
        for _ in range(r):
            nf = [Fraction(0)] * (n + 1)
            for j, v in enumerate(f):
                if v:
                    for x in range(0, min(k, n - j) + 1):
                        nf[j + x] += v * g**x / math.factorial(x)
            f = nf
        cdf.append(math.factorial(n) * sum(f[j] * q ** (n - j) / math.factorial(n - j) for j in range(n + 1)))
    return [cdf[0]] + [cdf[k] - cdf[k - 1] for k in range(1, n + 1)]


def detect(case):
    spec = case["spec"]
    wm = Wm(spec, bytes.fromhex(case["key"]))
    toks = case["tokens"]
    specials = set(case.get("specials", []))
    excl = set()
    for text in case.get("exclude", []):
        if wm.scheme == "unigram":
            excl.update(text)
        else:
            excl.update(wm.window_seed(text, end) for end in range(wm.h, len(text) + 1))
    seen = set()
    counts = {"scored": 0, "duplicates": 0, "excluded": 0, "noContext": 0, "special": 0}
    S, pay = 0.0, []
    B = r = 0
    if spec.get("payload"):
        B = spec["payload"]["bits"] // spec["payload"]["digitBits"]
        r = 2 ** spec["payload"]["digitBits"]
    for i, v in enumerate(toks):
        if i < wm.h:
            counts["noContext"] += 1
            continue
        if v in specials:
            counts["special"] += 1
            continue
        w = wm.window_seed(toks, i)
        if (v if wm.scheme == "unigram" else w) in excl:
            counts["excluded"] += 1
            continue
        s = wm.token_seed(w, v)
        if (s, v) in seen:
            counts["duplicates"] += 1
            continue
        seen.add((s, v))
        counts["scored"] += 1
        x = wm.prf(s, v)
        S += wm.score(x)
        if B:
            pos = (siphash24(wm.kp, struct.pack("<Q", s) + le32(0)) & 0xFFFFFFFF) % B
            c = (x >> 32) // wm.T
            pay.append((pos, c if c < r else -1))
    N = counts["scored"]
    out = dict(counts, sum=S)
    g = Fraction(wm.T, 2**32)
    if B:
        X = [[0] * r for _ in range(B)]
        nb = [0] * B
        for pos, c in pay:
            nb[pos] += 1
            if c >= 0:
                X[pos][c] += 1
        digits = [max(range(r), key=lambda c: (X[b][c], -c)) for b in range(B)]  # ties: smallest colour
        M = sum(X[b][digits[b]] for b in range(B))
        acc = [Fraction(1)]
        for b in range(B):
            pm = max_pmf(nb[b], r, g)
            nxt = [Fraction(0)] * (len(acc) + len(pm) - 1)
            for a, va in enumerate(acc):
                if va:
                    for x, vx in enumerate(pm):
                        nxt[a + x] += va * vx
            acc = nxt
        message = sum(d << (b * spec["payload"]["digitBits"]) for b, d in enumerate(digits))
        out.update(matched=M, message=str(message), lnP=min(0.0, ln_frac(sum(acc[M:], Fraction(0)))))
    elif N == 0:
        out["lnP"] = 0.0
    elif wm.scheme in ("kgw", "unigram"):
        out["lnP"] = min(0.0, ln_frac(binom_upper(round(S), N, g)))
    elif wm.scheme == "synthid":
        out["lnP"] = min(0.0, ln_frac(binom_upper(round(S), spec["scheme"]["layers"] * N, Fraction(1, 2))))
    else:
        out["lnP"] = gamma_upper_ln(N, S)
    return out


if __name__ == "__main__":
    req = json.load(sys.stdin)
    print(json.dumps([detect(c) for c in req["cases"]]))
