"""The numerical policy every measurement runs under, so that a number does not depend on the host's CPU.

On the CPU, MKL chooses its GEMM kernels by instruction set (SSE4.2, AVX2, AVX-512), and ATen its vectorized
kernels by the CPU's capability; each choice sums in another order, and some claims' measurements (the
batch-norm A-claims' asymmetric fractions) sit close enough to their thresholds that this round-off moves
them (claims/RULES.md N1). The policy:

    MKL_CBWR=COMPATIBLE        MKL's conditional numerical reproducibility: the same results on any x86 CPU
    ATEN_CPU_CAPABILITY=avx2   ATen's AVX2 kernels on every CPU that has AVX2 (the oldest common ground)

Both are read when torch (and MKL) load, so ``pin()`` must run before ``import torch``: importing
``landscape_lib`` calls it, and the Makefile exports the same values. A variable already set by the user is left
as it is (``pin`` uses setdefault), and ``LANDSCAPE_NUMERICS=host`` sets nothing (the host's fastest kernels:
measured 1.5x faster on the quick tier, but the numbers, and knife-edge verdicts, then depend on the CPU). The
policy in force is what ``policy()`` reports; it is part of every cache key, so a number built under one policy is
never served under another, and ``describe()`` puts it in the report's environment.

Cost, measured on an Intel AVX-512 host, one thread: ``bmm`` (9 x 1347 x 64 by 64 x 32) 0.35 -> 1.44 ms, ``tanh``
(MKL's vector math) 0.23 -> 1.72 ms; the quick tier's cold run 163 -> 250 s (1.53x, interleaved runs).
"""

from __future__ import annotations

import os
import sys

POLICY = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}


def pin() -> dict:
    """Set the policy's variables where they are unset; returns the values in force. Warns (once, on stderr)
    when it had to set one after torch was imported: torch then keeps whatever it loaded with."""
    if os.environ.get("LANDSCAPE_NUMERICS", "").strip().lower() == "host":
        return current()
    unset = [k for k in POLICY if k not in os.environ]
    for k, v in POLICY.items():
        os.environ.setdefault(k, v)
    if unset and "torch" in sys.modules and not getattr(pin, "_warned", False):
        pin._warned = True
        print("landscape_lib.numerics: torch was imported before the numerical policy was set; set "
              + " ".join(f"{k}={v}" for k, v in POLICY.items()) + " in the environment for host-independent numbers",
              file=sys.stderr)
    return current()


def current() -> dict:
    """The policy's variables as the environment holds them now ('' where unset)."""
    return {k: os.environ.get(k, "") for k in POLICY}


def policy() -> str:
    """A short string for cache keys: the variables in force, e.g. 'MKL_CBWR=COMPATIBLE,ATEN_CPU_CAPABILITY=avx2'."""
    return ",".join(f"{k}={v}" for k, v in current().items())


def describe() -> str:
    """The policy and, when torch is loaded, the CPU capability ATen actually uses (for the report's environment)."""
    out = policy()
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            out += f"; aten={torch.backends.cpu.get_cpu_capability()}"
        except Exception:  # noqa: BLE001 - an environment line must not fail
            pass
    return out


GPU_POLICY = "fp32-strict"  # TF32 off for matmuls and convolutions, deterministic cuDNN, no autotuning


def gpu(device) -> str:
    """The GPU side of the policy, applied when measuring on ``device`` (a CUDA device; a no-op elsewhere):

        torch.backends.cuda.matmul.allow_tf32 = False   matmuls in full fp32 (TF32 keeps 10 mantissa bits: enough
        torch.backends.cudnn.allow_tf32 = False         to move a short-direction count or a knife-edge ratio)
        torch.backends.cudnn.deterministic = True       the same kernels, so the same sums, run to run
        torch.backends.cudnn.benchmark = False          no autotuning (it picks kernels by timing)
        CUBLAS_WORKSPACE_CONFIG=:4096:8                 what deterministic cuBLAS needs (set if unset)

    Returns the device kind for cache keys ("cpu", or "cuda:<GPU name>|fp32-strict"): a number built on one kind of
    device is never served on another."""
    import torch

    dev = torch.device(device)
    if dev.type != "cuda":
        return "cpu" if dev.type == "cpu" else dev.type
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return f"cuda:{torch.cuda.get_device_name(dev)}|{GPU_POLICY}"
