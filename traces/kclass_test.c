/* kclass_test.c -- every op class of the rule table is reached by a real
 * kernel name; unknown names are "other"; the table format is enforced.
 * Run from the source root; returns nonzero if any check fails. */
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "traces/kclass.h"

static void expect(const kclass_t *t, const char *name, const char *cls, check_t *ck)
{
    const char *got = kclass_match(t, name);
    CHECK(strcmp(got, cls) == 0, "'%s': class %s, expected %s", name, got, cls);
}

static void test_each_rule_class_is_reached_by_a_real_kernel_name(const kclass_t *t, check_t *ck)
{
    static const char *const CASES[][2] = {
        /* FlashInfer / TensorRT-LLM CUTLASS MoE */
        {"void tensorrt_llm::kernels::cutlass_kernels::expandInputRowsKernel<__nv_bfloat16, __nv_fp8_e4m3, true>(...)", "moe_expand"},
        {"void tensorrt_llm::kernels::cutlass_kernels::doActivationKernel<__nv_fp8_e4m3, __nv_bfloat16, SwigluBias, true>(...)", "moe_act"},
        {"void tensorrt_llm::kernels::cutlass_kernels::finalizeMoeRoutingKernel<__nv_bfloat16, __nv_bfloat16>(...)", "moe_finalize"},
        {"void tensorrt_llm::kernels::cutlass_kernels::fusedBuildExpertMapsSortFirstTokenKernel<8, 1, 4>(int const*, int*)", "moe_maps"},
        {"void tensorrt_llm::kernels::cutlass_kernels::threeStepBuildExpertMapsSortFirstTokenKernel(...)", "moe_maps"},
        {"void tensorrt_llm::kernels::cutlass_kernels::blockExpertPrefixSumKernel<256>(...)", "moe_maps"},
        {"void flashinfer::mxfp8_quantize_kernel<__nv_bfloat16>(...)", "moe_quant"},
        {"void tensorrt_llm::kernels::quantize_with_block_size<(BlockScaleQuantizationType)1, __nv_bfloat16, 32, false>(...)", "moe_quant"},
        {"void cutlass::device_kernel<cutlass::gemm::kernel::GemmUniversal<cutlass::gemm::GroupProblemShape<cute::tuple<long, long, long> >, ...> >(T1::Params)", "moe_gemm"},
        {"_ZN7cutlass13device_kernelIN2at4cuda6detail25enable_3x_kernel_for_sm9xINS_4gemm6kernel13GemmUniversalINS5_17GroupProblemShapeIN4cute5tupleIJiiiEEEEENS", "moe_gemm"},
        {"void cutlass::device_kernel<Sm120BlockScaledGemm<cutlass::gemm::collective::MainloopSm120TmaWarpSpecializedBlockScaled<3> > >", "moe_gemm"},
        {"void tensorrt_llm::kernels::cutlass_kernels::moe_gemm_kernel<float>(...)", "moe_gemm"},
        {"void at::cuda::detail::prepare_grouped_gemm_data<cutlass::bfloat16_t, cutlass::bfloat16_t, cutlass::bfloat16_t, float, cute::tuple<int, int, int>, cut", "moe_maps"},
        /* cuBLAS */
        {"nvjet_sm90_tst_64x8_64x16_4x1_v_bz_TNT", "gemm"},
        {"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas", "gemm"},
        {"void gemv2T_kernel_val<int, int, __nv_bfloat16, __nv_bfloat16, float, 128, 16, 4, 4, false, false>(T13, T5, T5)", "gemm"},
        {"void gemvx_kernel<int, int, __nv_bfloat16, __nv_bfloat16, float, false, true, true, false, 7, false>(...)", "gemm"},
        {"void cublasLt::splitKreduce_kernel<32, 16, int, float, __nv_bfloat16, float, __nv_bfloat16, false, float>(...)", "join_prev"},
        {"void splitKreduce_kernel<32, 16, int, float, __nv_bfloat16, float>(cublasSplitKParams<float>)", "join_prev"},
        /* attention */
        {"void flashinfer::BatchPrefillWithPagedKVCacheKernel<flashinfer::KernelTraits<(flashinfer::MaskMode)0, 16u> >(...)", "attention"},
        {"void flashinfer::BatchDecodeWithPagedKVCacheKernel<(flashinfer::PosEncodingMode)0, 2u, 4u>(...)", "attention"},
        {"void flash_fwd_splitkv_kernel<Flash_fwd_kernel_traits<64, 64, 128, 4, false, false, cutlass::bfloat16_t>, false>(Flash_fwd_params)", "attention"},
        {"void flash_fwd_splitkv_combine_kernel<Flash_fwd_kernel_traits<64, 64, 128, 4>, 4, 3, false>(Flash_fwd_params)", "join_prev"},
        {"cudnn_generated_fort_native_sdpa_sm80_flash_fprop_wmma_f16_knob_3_64x64x64_4x1x1_cga1x1x1_kernel0_0", "attention"},
        {"fmha_v2_flash_attention_bf16_64_128_S_q_paged_kv_64_sm90_kernel", "attention"},
        {"void cudnn::fusion::lean_reduction_kernel<false, false, false>(void*, float*, float*)", "join_prev"},
        {"void flashinfer::MergeStatesKernel<8u, 16u, 8u, 4u, __nv_bfloat16, __nv_bfloat16>(...)", "join_prev"},
        /* llama.cpp */
        {"void mul_mat_vec_q<(ggml_type)39, 1, false>(void const*, void const*, int const*, float*, int, int)", "gemv"},
        {"void quantize_q8_1(float const*, void*, long, long, long, long, long, long)", "quant_q8_1"},
        {"void mul_mat_q<(ggml_type)8, 64, false>(char const*, int const*, int const*, float*)", "mmq"},
        {"void flash_attn_ext_vec<64, 1, (ggml_type)1, (ggml_type)1, false>(...)", "attention"},
        {"void flash_attn_combine_results<64>(float const*, float2 const*, float*, int)", "join_prev"},
        {"void rms_norm_f32<1024, true, false>(float const*, float*, int, long, long, long, float)", "norm"},
        {"void rope_neox<true, false, float>(float const*, float*, int, int, int, int, int)", "rope"},
        {"void k_set_rows<float, __half>(float const*, long const*, __half*, long)", "kv_write"},
        {"void k_bin_bcast<&op_add, float, float, float>(float const*, float const*, float*)", "residual"},
        {"void topk_moe_cuda<128, true>(float const*, float*, int*, int)", "topk"},
        {"void swiglu_oai_kernel<float>(float const*, float const*, float*, long)", "moe_act"},
        {"void add_id_kernel(float const*, float const*, int const*, float*)", "moe_bias"},
        {"void k_get_rows<float, float>(void const*, int const*, float*)", "embed"},
        {"void argmax_f32(float const*, int*, long)", "sample"},
        /* vLLM / PyTorch */
        {"void vllm::fused_add_rms_norm_kernel<c10::BFloat16, 8>(c10::BFloat16*, c10::BFloat16*)", "norm"},
        {"void vllm::rms_norm_kernel<c10::BFloat16>(c10::BFloat16*, c10::BFloat16 const*)", "norm"},
        {"void vllm::rotary_embedding_kernel<c10::BFloat16, true>(long const*, c10::BFloat16*)", "rope"},
        {"void vllm::reshape_and_cache_flash_kernel<__nv_bfloat16, __nv_bfloat16, (vllm::Fp8KVCacheDataType)0>(...)", "kv_write"},
        {"void vllm::moe::topkGatingSoftmax<8, 128, 4, 16, int>(float const*, bool const*, float*)", "topk"},
        {"void at::native::vectorized_elementwise_kernel<8, at::native::CUDAFunctor_add<c10::BFloat16>, std::array<char*, 3ul> >(int)", "elementwise"},
        {"void at::native::unrolled_elementwise_kernel<at::native::direct_copy_kernel_cuda>(int)", "elementwise"},
        {"void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::MaxOps<float>, unsigned int, float, 4> >(...)", "elementwise"},
        {"void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::ArgMaxOps<float>, unsigned int, long, 4> >(...)", "sample"},
        {"void at::native::(anonymous namespace)::indexSelectLargeIndex<c10::BFloat16, long, unsigned int, 2, 2, -2, true>(...)", "embed"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        expect(t, CASES[i][0], CASES[i][1], ck);
}

static void test_unknown_kernel_is_other(const kclass_t *t, check_t *ck)
{
    expect(t, "my_custom_sampler_kernel", "other", ck);
    expect(t, "", "other", ck);
    expect(t, "NVJET_SM90 (case matters)", "other", ck);
}

static void test_glob_is_anchored_and_substring_is_not(check_t *ck)
{
    CHECK(kclass_pattern_match("*mxfp8*quant*", "flashinfer_mxfp8_quantize"), "");
    CHECK(!kclass_pattern_match("mxfp8*quant", "x_mxfp8_quantize"), "");
    CHECK(kclass_pattern_match("mxfp8*quant*", "mxfp8_quantize"), "");
    CHECK(kclass_pattern_match("nvjet", "foo_nvjet_bar"), "");
    CHECK(!kclass_pattern_match("nvjet", "NVJET"), "");
}

static void test_bad_tables_name_file_line_and_expectation(check_t *ck)
{
#define T(text, want) {text, sizeof text - 1, want}
    static const struct {
        const char *text;
        size_t len;       /* bytes of text, a NUL inside it included */
        const char *want;
    } BAD[] = {
        T("pattern,class,source\nx,norm,s\n", "t.csv:1: header is not valid"),
        T("pattern,op_class,source\nx,nrom,s\n", "t.csv:2: column 'op_class': 'nrom'"),
        T("pattern,op_class,source\n# c\n**,norm,s\n", "t.csv:3: column 'pattern'"),
        T("pattern,op_class,source\nx,norm\n", "t.csv:2: row has 2 fields; expected 3"),
        T("pattern,op_class,source\nx,norm,\n", "t.csv:2: column 'source': empty"),
        T("pattern,op_class,source\n", "t.csv: no rules"),
        T("", "t.csv: empty file"),
        /* a lone CR ends a line: the row is not joined with the next one */
        T("pattern,op_class,source\nx,norm\rs\n", "t.csv:2: row has 2 fields; expected 3"),
        T("pattern,op_class,source\nx,no\0rm,s\n", "t.csv:2: NUL byte"),
        /* a rule spanning lines is reported on the line it starts on */
        T("pattern,op_class,source\n\"x\ny\",nrom,s\n", "t.csv:2: column 'op_class': 'nrom'"),
    };
#undef T
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        kclass_t t;
        char err[512] = "";
        if (!CHECK(kclass_load(&t, "t.csv", BAD[i].text, BAD[i].len, err, sizeof err) != 0,
                   "table %zu: loaded, expected an error", i))
            kclass_free(&t);
        else
            CHECK(strstr(err, BAD[i].want) != NULL, "table %zu: error '%s' lacks '%s'", i, err,
                  BAD[i].want);
    }
}

/* The built-in table loads; the two tests above run on it. */
static void test_default_table(check_t *ck)
{
    kclass_t t;
    char err[512];
    if (!CHECK(kclass_load_default(&t, err, sizeof err) == 0, "%s", err))
        return;
    test_each_rule_class_is_reached_by_a_real_kernel_name(&t, ck);
    test_unknown_kernel_is_other(&t, ck);
    kclass_free(&t);
}

int main(void)
{
    check_t ck = check_begin("kclass_test");
    test_default_table(&ck);
    test_glob_is_anchored_and_substring_is_not(&ck);
    test_bad_tables_name_file_line_and_expectation(&ck);
    return check_end(&ck);
}
