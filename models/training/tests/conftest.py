"""Shared fixtures: the read-only data and weights outside the repository, skipped with a reason when absent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[1]
REPO = TRAINING.parents[1]
# Tests import the package from the source tree; it is not installed into the venv.
if str(TRAINING) not in sys.path:
    sys.path.insert(0, str(TRAINING))


def _dir_from_env(var: str, default: Path) -> Path:
    return Path(os.environ.get(var) or default)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``$CROPGATE_DATA`` (default ``<repo>/../shared/data``); skips the test when it is missing."""
    path = _dir_from_env("CROPGATE_DATA", REPO.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set CROPGATE_DATA to the data folder)")
    return path


@pytest.fixture(scope="session")
def tflite_weights() -> Path:
    """``$CROPGATE_WEIGHTS`` (default ``<repo>/../shared/weights``) holding the ImageNet MobileNetV2
    .tflite and its labels; skips the test when either is missing."""
    path = _dir_from_env("CROPGATE_WEIGHTS", REPO.parent / "shared" / "weights")
    for name in ("mobilenet_v2_1.0_224_quant.tflite", "imagenet_labels.txt"):
        if not (path / name).is_file():
            pytest.skip(f"{name} not found in {path} (set CROPGATE_WEIGHTS to the weights folder)")
    return path
