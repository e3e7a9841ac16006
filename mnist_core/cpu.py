"""What this CPU computes natively: bfloat16 where it has AMX or AVX-512 BF16, else float32.

Training (`recipes.dtype_for`) and prediction (`compute_precision`) both ask, so the answer sits
below both of them; `bench/train_epoch.py` asks too, to pick PyTorch's best configuration.
"""

import os

BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")
"""`/proc/cpuinfo` flags of the instructions that compute bfloat16 natively (Intel AMX tiles;
AVX-512 BF16 dot products, on Intel Cooper Lake and later and AMD Zen 4 and later)."""


NO_BFLOAT16_ISAS = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
                    "AVX512_CORE_VNNI")
"""Values of oneDNN's `ONEDNN_MAX_CPU_ISA` that keep TensorFlow's kernels off the bfloat16
instructions: with one of them set, bfloat16 would be emulated however new the CPU is."""


def bfloat16_flags(cpuinfo="/proc/cpuinfo", environ=None):
    """The flags of `BFLOAT16_FLAGS` this CPU has, in that order; empty where it has none,
    `cpuinfo` cannot be read (not Linux), or `ONEDNN_MAX_CPU_ISA` (in `environ`, the process'
    environment by default) limits oneDNN to kernels without them (`NO_BFLOAT16_ISAS`)."""
    limit = (os.environ if environ is None else environ).get("ONEDNN_MAX_CPU_ISA", "")
    if limit.strip().upper() in NO_BFLOAT16_ISAS:
        return ()
    try:
        with open(cpuinfo) as f:
            flags = set(next((line for line in f if line.startswith("flags")), "").split())
    except OSError:
        return ()
    return tuple(flag for flag in BFLOAT16_FLAGS if flag in flags)


def fast_dtype(cpuinfo="/proc/cpuinfo"):
    """`"mixed_bfloat16"` where the CPU computes bfloat16 natively (AMX or AVX-512 BF16), else
    `"float32"`: bfloat16 nearly halves a training step there, but where it would be emulated
    it is slower than float32."""
    return "mixed_bfloat16" if bfloat16_flags(cpuinfo) else "float32"
