/* bsgemm.h -- reference block-scaled GEMM C[M][N] = A[M][K] * B[N][K]^T that
 * reads its scale factors in CUTLASS's SM1xx block-scaled SF layout and
 * accumulates in fp32 in the k order of a tile configuration.
 *
 * SF layout (NVIDIA/cutlass include/cutlass/detail/sm100_blockscaled_layout.hpp,
 * Sm1xxBlockScaledBasicChunk / Sm1xxBlockScaledConfig, read at commit 0d2b201e;
 * the same math as FlashInfer/TRT-LLM get_sf_out_offset_128x4):
 *   SfKMajorAtom = Layout<Shape<Shape<_32,_4>, Shape<SFVec,_4>>,
 *                         Stride<Stride<_16,_4>, Stride<_0,_1>>>
 * i.e. one 512-byte atom holds 128 rows x 4 SF columns (4*SFVec elements of
 * K); row r (0..127) and SF column c (0..3) sit at byte
 *   (r % 32) * 16 + (r / 32) * 4 + c.
 * tile_atom_to_shape_SFA/SFB = tile_to_shape(SfAtom, (MN, K, L), Step<_2,_1,_3>):
 * atoms tile K first (K-atoms fastest), then MN. With MN padded to a multiple
 * of 128 and the SF column count ceil(K/SFVec) padded to a multiple of 4:
 *   offset(row, kb) = (row / 128) * (128 * sfk_pad) + (kb / 4) * 512
 *                     + (row % 32) * 16 + ((row % 128) / 32) * 4 + kb % 4
 * The buffer has bsgemm_sf_bytes = mn_pad * sfk_pad bytes; padding bytes are 0.
 *
 * Fault BSGEMM_FAULT_LOGICAL_SF reproduces seed 002 (FlashInfer
 * setupFP4BlockScalingFactors built LayoutSF from the logical gemm_m/n/k while
 * the SF buffers and offsets were sized from the padded ones): offsets are
 * computed with the logical SF column count ceil(K/SFVec) in the row-block
 * stride (128 * sfk instead of 128 * sfk_pad) while the buffer stays laid out
 * padded. It is a model of the symptom (indexing disagrees with allocation),
 * not of CUTLASS's exact code path (cute::tile_to_shape itself rounds shapes
 * up). The two layouts coincide when ceil(K/SFVec) is a multiple of 4 or MN
 * <= 128 (one row block): there the fault is not observable (single GEMM; the
 * per-expert offsets of a grouped GEMM, where MN padding also matters, are not
 * modelled).
 *
 * Numerics (a model; the MMA's internal order is not public):
 *   - element codes decode exactly; each SF block's dot product
 *     sum(a_i * b_i) * sfa * sfb is formed in double (exact for FP4/E4M3
 *     operands) and rounded once to fp32;
 *   - the blocks of one k-tile (tile_k consecutive K, the last tile may be
 *     partial) are summed in K order into an fp32 tile partial, and the tile
 *     partials in K order into the fp32 accumulator; so results depend on
 *     tile_k at the fp32 rounding level only;
 *   - epilogue: C = fp32(acc * alpha), alpha = fp32(1 / (global_a * global_b))
 *     (1 for MX formats);
 *   - swap-AB (the small-M trick of seed 002: the kernel computes
 *     C^T = B * A^T with the weights as its A operand, the logical tile
 *     (tile_m, tile_n) applied as (tile_n, tile_m)) swaps the operand roles and
 *     their SF tensors; the products commute exactly, so for the same tile_k
 *     the result is bit-identical.
 * Elements are stored one code per byte (no FP4 nibble packing: the packing
 * does not affect numerics). */
#ifndef GBSIM_BSGEMM_H
#define GBSIM_BSGEMM_H

#include <stddef.h>
#include <stdint.h>

#include "models/numerics/mxquant.h"

typedef enum { BSGEMM_FAULT_NONE, BSGEMM_FAULT_LOGICAL_SF } bsgemm_fault_t;

typedef struct {
    int tile_m, tile_n, tile_k; /* CTA tile (logical M, N, K); tile_k % sf_vec == 0 */
    int swap_ab;                /* 1: C^T = B * A^T (operand roles swapped) */
} bsgemm_tile_t;

/* One operand: rows x k element codes (K-major) and its SF buffer. */
typedef struct {
    mxquant_fmt_t fmt;          /* element and scale format */
    const uint8_t *codes;       /* [rows][k] */
    const uint8_t *sf;          /* bsgemm_sf_bytes(rows, k, sf_vec) bytes, CUTLASS layout */
    float global;               /* per-tensor scale (1 for MX) */
} bsgemm_operand_t;

typedef struct {
    int64_t m, n, k;
    int sf_vec;                 /* elements per scale factor */
    bsgemm_operand_t a, b;      /* a: [m][k], b: [n][k] */
} bsgemm_problem_t;

/* SF columns ceil(k / sf_vec) and their padded count (multiple of 4). */
int64_t bsgemm_sf_cols(int64_t k, int sf_vec);
int64_t bsgemm_sf_cols_padded(int64_t k, int sf_vec);
/* Bytes of one SF buffer: pad128(mn) * bsgemm_sf_cols_padded(k). */
size_t bsgemm_sf_bytes(int64_t mn, int64_t k, int sf_vec);
/* Byte offset of (row, SF column kb) in the buffer; the fault selects the
 * seed-002 offsets (see above). */
int64_t bsgemm_sf_offset(int64_t row, int64_t kb, int64_t mn, int64_t k, int sf_vec,
                         bsgemm_fault_t fault);
/* Scatter row-major scales rm[mn][bsgemm_sf_cols(k)] into out
 * (bsgemm_sf_bytes bytes, the correct layout); padding bytes become 0. */
void bsgemm_sf_pack(const uint8_t *rm, int64_t mn, int64_t k, int sf_vec, uint8_t *out);

/* 1 if the fault changes any offset for this (mn, k, sf_vec). */
int bsgemm_fault_observable(int64_t mn, int64_t k, int sf_vec);

/* C[m][n] row-major, fp32. Asserts tile_k > 0 and tile_k % sf_vec == 0.
 * Returns 0, or -1 when out of memory (c untouched). */
int bsgemm_run(const bsgemm_problem_t *p, const bsgemm_tile_t *t, bsgemm_fault_t fault,
                float *c);

#endif
