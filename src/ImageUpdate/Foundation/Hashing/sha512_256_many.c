/*
 * SHA-512/256 (FIPS 180-4 §6.7) of many buffers at once: eight SHA-512 computations side by side
 * in the eight 64-bit lanes of AVX-512 registers ("multi-buffer"). A casync rebuild hashes every
 * chunk it uses (16-256 KiB each); one chunk's SHA-512 is a chain of dependent 64-bit operations
 * that a scalar implementation (OpenSSL 3.0 on a CPU without SHA-512 instructions) cannot spread
 * over the vector units, whereas eight independent chunks can. A lane that finishes its chunk takes
 * the next one at once, so chunks of different lengths keep all lanes busy until the last few.
 *
 * Compiled into image-update (the NativeAOT binary links the object; the managed build loads it as
 * a shared library). The AVX-512 code is compiled for that target only and entered only after
 * iu_sha512_256_supported() said the CPU and the kernel support it; callers fall back to OpenSSL
 * one buffer at a time otherwise. Written from FIPS 180-4; the constants are the standard's.
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8
#define BLOCK 128

static const uint64_t K[80] = {
0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817
};

/* FIPS 180-4 §5.3.6.2: SHA-512/256's own initial hash value. */
static const uint64_t IV[8] = {
0x22312194fc2bf72c, 0x9f555fa3c84c64c2, 0x2393b86b6f53b151, 0x963877195940eabd, 0x96283ee2a88effe3, 0xbe5e1e2553863992, 0x2b0199fc2c85b8aa, 0x0eb72ddc81c52ca2
};

int iu_sha512_256_supported(void)
{
    __builtin_cpu_init();
    /* libgcc's and compiler-rt's checks include the kernel's saving of the ZMM state (XCR0). */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}

#define TARGET __attribute__((target("avx512f,avx512bw")))

/* One lane's job: its full blocks straight from the buffer, then one or two padded blocks of its own. */
struct lane {
    const uint8_t *next;      /* the next block to hash */
    uint64_t blocks;          /* blocks left from `next` in the current segment */
    int in_tail;              /* the current segment is `tail` */
    uint64_t tail_blocks;
    size_t job;               /* index of the buffer; (size_t)-1 when the lane is idle */
    uint8_t tail[2 * BLOCK];
};

static void start_tail(struct lane *l, const uint8_t *data, uint64_t length)
{
    uint64_t full = length / BLOCK, rest = length % BLOCK;
    memset(l->tail, 0, sizeof l->tail);
    memcpy(l->tail, data + full * BLOCK, rest);
    l->tail[rest] = 0x80;
    /* The length in bits, as a 128-bit big-endian number, ends the last block. */
    uint64_t blocks = rest + 1 + 16 <= BLOCK ? 1 : 2;
    uint8_t *end = l->tail + blocks * BLOCK;
    uint64_t bits_high = length >> 61, bits_low = length << 3;
    for (int i = 0; i < 8; i++) {
        end[-1 - i] = (uint8_t)(bits_low >> (8 * i));
        end[-9 - i] = (uint8_t)(bits_high >> (8 * i));
    }
    l->tail_blocks = blocks;
}

#define XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi64((e), (f), (g), 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0xE8)
#define BSIG0(x) XOR3(_mm512_ror_epi64((x), 28), _mm512_ror_epi64((x), 34), _mm512_ror_epi64((x), 39))
#define BSIG1(x) XOR3(_mm512_ror_epi64((x), 14), _mm512_ror_epi64((x), 18), _mm512_ror_epi64((x), 41))
#define SSIG0(x) XOR3(_mm512_ror_epi64((x), 1), _mm512_ror_epi64((x), 8), _mm512_srli_epi64((x), 7))
#define SSIG1(x) XOR3(_mm512_ror_epi64((x), 19), _mm512_ror_epi64((x), 61), _mm512_srli_epi64((x), 6))

/* Hashes `count` blocks in every lane; lane i reads its blocks from addresses[i], 128 bytes apart. */
TARGET static void compress(__m512i state[8], __m512i addresses, uint64_t count)
{
    /* Per 16-byte group: the bytes of each 64-bit word reversed (the message words are big-endian). */
    const __m512i swap = _mm512_set_epi8(
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i step = _mm512_set1_epi64(BLOCK);
    __m512i a = state[0], b = state[1], c = state[2], d = state[3];
    __m512i e = state[4], f = state[5], g = state[6], h = state[7];

    for (uint64_t n = 0; n < count; n++) {
        __m512i w[16];
        for (int t = 0; t < 16; t++) {
            __m512i word = _mm512_i64gather_epi64(_mm512_add_epi64(addresses, _mm512_set1_epi64(8 * t)), (const void *)0, 1);
            w[t] = _mm512_shuffle_epi8(word, swap);
        }

        __m512i a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
        for (int t = 0; t < 80; t++) {
            __m512i wt;
            if (t < 16) {
                wt = w[t];
            } else {
                /* W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], kept in a ring of 16. */
                wt = _mm512_add_epi64(
                    _mm512_add_epi64(SSIG1(w[(t - 2) & 15]), w[(t - 7) & 15]),
                    _mm512_add_epi64(SSIG0(w[(t - 15) & 15]), w[t & 15]));
                w[t & 15] = wt;
            }

            __m512i t1 = _mm512_add_epi64(
                _mm512_add_epi64(h, _mm512_add_epi64(wt, _mm512_set1_epi64((long long)K[t]))),
                _mm512_add_epi64(BSIG1(e), CH(e, f, g)));
            __m512i t2 = _mm512_add_epi64(BSIG0(a), MAJ(a, b, c));
            h = g;
            g = f;
            f = e;
            e = _mm512_add_epi64(d, t1);
            d = c;
            c = b;
            b = a;
            a = _mm512_add_epi64(t1, t2);
        }

        a = _mm512_add_epi64(a, a0);
        b = _mm512_add_epi64(b, b0);
        c = _mm512_add_epi64(c, c0);
        d = _mm512_add_epi64(d, d0);
        e = _mm512_add_epi64(e, e0);
        f = _mm512_add_epi64(f, f0);
        g = _mm512_add_epi64(g, g0);
        h = _mm512_add_epi64(h, h0);
        addresses = _mm512_add_epi64(addresses, step);
    }

    state[0] = a; state[1] = b; state[2] = c; state[3] = d;
    state[4] = e; state[5] = f; state[6] = g; state[7] = h;
}

TARGET static int many(const uint8_t *const *buffers, const uint64_t *lengths, size_t count, uint8_t *digests)
{
    /* Longest first: the last jobs to start are the short ones, so lanes run idle only briefly at the end. */
    size_t small_order[64];
    size_t *order = count <= 64 ? small_order : malloc(count * sizeof *order);
    if (order == NULL) {
        return -1;
    }

    for (size_t i = 0; i < count; i++) {
        size_t j = i;
        for (; j > 0 && lengths[order[j - 1]] < lengths[i]; j--) {
            order[j] = order[j - 1];
        }

        order[j] = i;
    }

    static const uint8_t idle_block[BLOCK];
    struct lane lanes[LANES];
    uint64_t words[8][LANES] __attribute__((aligned(64)));
    __m512i state[8];
    size_t taken = 0, busy = 0;

    for (int i = 0; i < 8; i++) {
        state[i] = _mm512_set1_epi64((long long)IV[i]);
    }

    for (int i = 0; i < LANES; i++) {
        lanes[i].job = (size_t)-1;
    }

    for (;;) {
        /* Every lane without a segment to hash: the next segment of its job, or a new job, or idle. */
        for (int i = 0; i < LANES; i++) {
            struct lane *l = &lanes[i];
            while (l->job == (size_t)-1 || l->blocks == 0) {
                if (l->job != (size_t)-1 && !l->in_tail) {
                    l->next = l->tail;
                    l->blocks = l->tail_blocks;
                    l->in_tail = 1;
                    continue;
                }

                if (l->job != (size_t)-1) {
                    /* Done: the first four words, big-endian, are the SHA-512/256 digest. */
                    for (int w = 0; w < 8; w++) {
                        _mm512_store_si512((__m512i *)words[w], state[w]);
                    }

                    for (int w = 0; w < 4; w++) {
                        uint64_t v = words[w][i];
                        for (int k = 0; k < 8; k++) {
                            digests[32 * l->job + 8 * w + k] = (uint8_t)(v >> (56 - 8 * k));
                        }
                    }

                    l->job = (size_t)-1;
                    busy--;
                }

                if (taken == count) {
                    break;
                }

                l->job = order[taken++];
                busy++;
                l->next = buffers[l->job];
                l->blocks = lengths[l->job] / BLOCK;
                l->in_tail = 0;
                start_tail(l, buffers[l->job], lengths[l->job]);
                for (int w = 0; w < 8; w++) {
                    state[w] = _mm512_mask_set1_epi64(state[w], (__mmask8)(1u << i), (long long)IV[w]);
                }
            }
        }

        if (busy == 0) {
            if (order != small_order) {
                free(order);
            }

            return 0;
        }

        /* As many blocks as every busy lane has in its segment; idle lanes hash a block of zeros in place. */
        uint64_t run = UINT64_MAX;
        uint64_t addresses[LANES] __attribute__((aligned(64)));
        for (int i = 0; i < LANES; i++) {
            if (lanes[i].job == (size_t)-1) {
                addresses[i] = (uint64_t)(uintptr_t)idle_block;
            } else {
                addresses[i] = (uint64_t)(uintptr_t)lanes[i].next;
                run = lanes[i].blocks < run ? lanes[i].blocks : run;
            }
        }

        __m512i vaddr = _mm512_load_si512((const __m512i *)addresses);
        /* Idle lanes must not advance past their one block: their address steps back every block. */
        __mmask8 idle = 0;
        for (int i = 0; i < LANES; i++) {
            if (lanes[i].job == (size_t)-1) idle |= (__mmask8)(1u << i);
        }

        if (idle == 0) {
            compress(state, vaddr, run);
        } else {
            for (uint64_t n = 0; n < run; n++) {
                compress(state, vaddr, 1);
                vaddr = _mm512_mask_add_epi64(vaddr, (__mmask8)~idle, vaddr, _mm512_set1_epi64(BLOCK));
            }
        }

        for (int i = 0; i < LANES; i++) {
            if (lanes[i].job != (size_t)-1) {
                lanes[i].next += run * BLOCK;
                lanes[i].blocks -= run;
            }
        }
    }
}

/*
 * Hashes buffers[i] (lengths[i] bytes) for i < count into digests + 32 * i. Returns 0, or -1 when
 * the CPU cannot run it (nothing written then). Compiled for the baseline: code built for AVX-512
 * may use it anywhere in the function, before any check, so the check is out here.
 */
int iu_sha512_256_many(const uint8_t *const *buffers, const uint64_t *lengths, size_t count, uint8_t *digests)
{
    if (!iu_sha512_256_supported()) {
        return -1;
    }

    return many(buffers, lengths, count, digests);
}
