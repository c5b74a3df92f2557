"""Shared set-up of the library's own tests."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small-tensor steps are slower with several threads on a shared CPU (spin-waiting): one intra-op
    thread per test module, the caller's setting restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
