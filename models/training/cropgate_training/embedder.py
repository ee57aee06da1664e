"""The embedder: MobileNetV2 features -> global average pool -> flatten -> Linear(1280, 512)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import nn
from torchvision.models import mobilenet_v2

DIM = 512


class Embedder(nn.Module):
    def __init__(self, features: nn.Module, dim: int = DIM):
        super().__init__()
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(1280, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Raw (not normalised) embedding: consumers L2-normalise before the cosine.
        return self.fc(self.flatten(self.pool(self.features(x))))


def imagenet_features(tflite_path: Path) -> nn.Module:
    from .tflite_port import load_imagenet_mobilenet_v2  # written alongside; reads the .tflite file

    return load_imagenet_mobilenet_v2(str(tflite_path)).features


def backbone_features(tflite_path: Optional[Path], seed: int = 0) -> nn.Module:
    """MobileNetV2's `features` (blocks 0-18), ImageNet weights from the .tflite, or seeded random ones without
    (smoke runs and tests); eval mode: every recipe keeps blocks 0-13 frozen."""
    return build(tflite_path, seed).features.eval()


def build(tflite_path: Optional[Path], seed: int, dim: int = DIM) -> Embedder:
    """ImageNet-initialised when tflite_path is given, random-initialised (seeded) otherwise."""
    torch.manual_seed(seed)
    features = imagenet_features(tflite_path) if tflite_path else mobilenet_v2(weights=None).features
    torch.manual_seed(seed)
    model = Embedder(features, dim)
    return model


def freeze_first(model: Embedder, n_blocks: int) -> None:
    """Freeze features[:n_blocks] (low-level filters transfer as they are; also ~1.6x faster here)."""
    for i, block in enumerate(model.features):
        for p in block.parameters():
            p.requires_grad = i >= n_blocks


def batchnorm_eval(model: nn.Module) -> None:
    """Keep BN on its (folded, pretrained) statistics: batch statistics of small, class-skewed batches
    would move the pretrained activations."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


class TwoOutputEmbedder(nn.Module):
    """The shipped graph: returns (embedding, features) — the trained head's output, and a fixed, unsupervised
    whitening of the pooled ImageNet backbone vector (head.Whitening) for enrolling crops the head never saw.
    One inference serves references in either space."""

    OUTPUTS = ("embedding", "features")

    def __init__(self, features: nn.Module, fc: nn.Linear, whiten_mean, whiten_proj):
        super().__init__()
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = fc
        self.whiten = _whitening_linear(whiten_mean, whiten_proj)

    def forward(self, x: torch.Tensor):
        f = self.flatten(self.pool(self.features(x)))
        return self.fc(f), self.whiten(f)


class TrainedTailEmbedder(nn.Module):
    """The shipped graph when the last blocks are trained: frozen ImageNet blocks up to 13, then the trained copy of
    features[14:19] and its pooling (tail.TailHead), whose pooled vector feeds both outputs: `embedding` (the
    head) and `features` (the same vector centred and PCA-whitened, for enrolment). One branch, not a frozen
    copy of the last blocks beside the trained one: the frozen copy would add 1.6 MB (5.07 MB in all, over the
    4 MB budget) and about a third of the inference, and the trained vector enrols unseen crops as well
    (models/README.md, "Enrolling a crop it was never trained on")."""

    OUTPUTS = ("embedding", "features")

    def __init__(self, features: nn.Module, split: int, trained: nn.Module, whiten_mean, whiten_proj):
        super().__init__()
        self.stem = features[:split]
        self.trained = trained
        self.whiten = _whitening_linear(whiten_mean, whiten_proj)

    def forward(self, x: torch.Tensor):
        p = self.trained.pooled(self.stem(x))
        return self.trained.fc(p), self.whiten(p)


def centred_head(head: nn.Module, mu) -> nn.Module:
    """A copy of `head` whose output is shifted by -mu (loso.Fitted.references' centre): the last Linear's bias
    absorbs it, so the exported `embedding` is already centred and the worker takes a plain cosine."""
    import copy

    head = copy.deepcopy(head).eval()
    last = [m for m in head.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.bias.sub_(torch.as_tensor(np.asarray(mu), dtype=last.bias.dtype))
    return head


def _whitening_linear(whiten_mean, whiten_proj) -> nn.Linear:
    """(f - mean) @ proj as one Linear: weight proj^T, bias -mean @ proj."""
    proj = torch.as_tensor(whiten_proj, dtype=torch.float64)
    mean = torch.as_tensor(whiten_mean, dtype=torch.float64)
    lin = nn.Linear(proj.shape[0], proj.shape[1])
    with torch.no_grad():
        lin.weight.copy_(proj.T.float())
        lin.bias.copy_((-(mean @ proj)).float())
    return lin
