#!/usr/bin/env python3
"""Independent reference for docs/SPEC.md §9.2 (engine key fingerprints) and §9.3 (the
context digest), written from the specification only.

Reads a JSON object from stdin:
    {"fingerprints": [{"family": "vllm", "form": "integer", "values": ["42"]}, ...],
     "digests": [{"tokens": [1, 2, 3], "from": -2, "to": 3, "pad": -1}, ...]}
and prints {"fingerprints": ["<32 hex>", ...], "digests": ["<16 hex, hi then lo>", ...]}.
"""
import hashlib
import json
import sys

M32 = 0xFFFFFFFF


def fingerprint(family: str, form: str, values) -> str:
    text = "tracemark/engine-key/v2\0" + family + "\0" + form + "\0" + ",".join(str(int(v)) for v in values)
    return hashlib.sha256(text.encode("utf-8")).digest()[:16].hex()


def rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & M32


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def mix(h: int, w: int) -> int:
    k = rotl((w * 0xCC9E2D51) & M32, 15) * 0x1B873593 & M32
    return (rotl(h ^ k, 13) * 5 + 0xE6546B64) & M32


def digest(tokens, frm: int, to: int, pad: int) -> int:
    a, b = 0x2545F491, 0x9E3779B9
    for j in range(frm, to):
        t = (pad if j < 0 else tokens[j]) & M32
        a = mix(a, t)
        b = mix(b, t ^ 0x5BD1E995)
    length = (4 * (to - frm)) & M32
    return (fmix32(b ^ length) << 32) | fmix32(a ^ length)


def main() -> None:
    req = json.load(sys.stdin)
    out = {
        "fingerprints": [fingerprint(f["family"], f["form"], f["values"]) for f in req.get("fingerprints", [])],
        "digests": [f"{digest(d['tokens'], d['from'], d['to'], d['pad']):016x}" for d in req.get("digests", [])],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
