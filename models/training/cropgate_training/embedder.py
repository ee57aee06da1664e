"""The embedder: MobileNetV2 features -> global average pool -> flatten -> Linear(1280, 512)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

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
        proj = torch.as_tensor(whiten_proj, dtype=torch.float64)
        mean = torch.as_tensor(whiten_mean, dtype=torch.float64)
        self.whiten = nn.Linear(proj.shape[0], proj.shape[1])
        with torch.no_grad():  # (f - mean) @ proj as one Linear: weight proj^T, bias -mean @ proj
            self.whiten.weight.copy_(proj.T.float())
            self.whiten.bias.copy_((-(mean @ proj)).float())

    def forward(self, x: torch.Tensor):
        f = self.flatten(self.pool(self.features(x)))
        return self.fc(f), self.whiten(f)
