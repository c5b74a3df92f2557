"""The numerical policy (claims/RULES.md N1): pinned before torch loads, in force in this session, part of every
cache key, reported in the environment."""

import os
import subprocess
import sys

import torch

from landscape_lib import numerics


def test_the_policy_is_in_force_in_a_test_session():
    assert numerics.current() == numerics.POLICY
    if "AVX2" in torch.backends.cpu.get_cpu_capability() or "AVX512" in torch.backends.cpu.get_cpu_capability():
        assert torch.backends.cpu.get_cpu_capability() == "AVX2"
    assert "aten=AVX2" in numerics.describe() or "aten=" in numerics.describe()


def test_cache_versions_carry_the_policy():
    from landscape_lib.nets.config import TRAIN_CODE_VERSION
    from landscape_lib.protocols.lab import MEASURE_VERSION, TUNNEL_VERSION

    for v in (TRAIN_CODE_VERSION, MEASURE_VERSION, TUNNEL_VERSION):
        assert v.endswith("|" + numerics.policy())


def test_importing_the_library_pins_the_policy_and_a_user_setting_wins():
    code = ("import os, landscape_lib, torch; print(os.environ['MKL_CBWR'], os.environ['ATEN_CPU_CAPABILITY'], "
            "torch.backends.cpu.get_cpu_capability())")
    env = {k: v for k, v in os.environ.items() if k not in numerics.POLICY}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split()[:2] == ["COMPATIBLE", "avx2"], out.stderr
    out = subprocess.run([sys.executable, "-c", code], env={**env, "MKL_CBWR": "AUTO"}, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split()[0] == "AUTO"
    late = "import torch, landscape_lib"
    out = subprocess.run([sys.executable, "-c", late], env=env, capture_output=True, text=True, timeout=120)
    assert "torch was imported before the numerical policy was set" in out.stderr


def test_landscape_numerics_host_opts_out():
    env = {k: v for k, v in os.environ.items() if k not in numerics.POLICY}
    code = "import os, landscape_lib; print(repr(os.environ.get('MKL_CBWR')), landscape_lib.numerics.policy())"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "LANDSCAPE_NUMERICS": "host"}, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split()[0] == "None" and "MKL_CBWR=," in out.stdout
