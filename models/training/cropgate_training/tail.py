"""The trained part of the embedder when it is more than a head: a copy of the backbone's last blocks
(`features[14:19]`: blocks 14-17 and the 1x1 conv to 1280) fine-tuned together with the head, on cached block-13
maps (maps.py), with pytorch-metric-learning's ArcFace. The frozen copy of the same blocks stays in the shipped
graph for the `features` output that enrolment uses (embedder.TwoBranchEmbedder)."""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from pytorch_metric_learning.losses import ArcFaceLoss

from .train import sampling_probs, seed_everything


@dataclass
class TailConfig:
    dim: int = 512
    hidden: int = 0  # > 0: an MLP head Linear(1280, hidden) -> ReLU -> Linear(hidden, dim)
    steps: int = 300
    batch_size: int = 64
    lr_tail: float = 2e-4  # pretrained blocks: a tenth of the head's rate keeps most of ImageNet
    lr_head: float = 2e-3
    loss_lr: float = 1e-2
    weight_decay: float = 1e-4
    margin_deg: float = 10.0
    scale: float = 16.0
    class_balance: float = 0.5  # class sampling probability ~ n_c ** class_balance (then even over strata)
    mixstyle: float = 0.0  # probability of MixStyle on a training batch's block-13 maps (0: off)
    gem: float = 1.0  # generalised-mean pooling exponent (1: average pooling)
    seed: int = 0

    def as_dict(self) -> Dict:
        return asdict(self)


@torch.no_grad()
def fold_batchnorm(module: torch.nn.Module) -> torch.nn.Module:
    """A copy with every Conv2d -> BatchNorm2d pair (eval statistics) merged into one Conv2d with a bias. The
    port's batch norms only carry the folded TFLite bias; as modules they cost 45 % of a training step on CPU
    (measured: 663 -> 368 ms for batch 64 through features[14:19], torch 1.13, 2 threads)."""
    module = copy.deepcopy(module)
    for seq in [m for m in module.modules() if isinstance(m, torch.nn.Sequential)]:
        names = list(seq._modules)
        for a, b in zip(names, names[1:]):
            conv, bn = seq._modules[a], seq._modules[b]
            if isinstance(conv, torch.nn.Conv2d) and isinstance(bn, torch.nn.BatchNorm2d):
                k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                bias = bn.bias - bn.running_mean * k + (conv.bias * k if conv.bias is not None else 0)
                conv.weight.mul_(k.view(-1, 1, 1, 1))
                conv.bias = torch.nn.Parameter(bias.clone())
                seq._modules[b] = torch.nn.Identity()
    return module


def mixstyle(x: torch.Tensor, gen: torch.Generator, alpha: float = 0.1, eps: float = 1e-6) -> torch.Tensor:
    """MixStyle (Zhou et al., ICLR 2021): every sample's channel statistics (mean and standard deviation over
    space) are replaced by a random mix of its own and another sample's, with the normalised content kept. New
    "styles" (light, colour, texture statistics of another photographer or camera) at no cost; the label stays
    the sample's own, so the head must not rely on them."""
    b = x.shape[0]
    mu = x.mean(dim=(2, 3), keepdim=True)
    sig = (x.var(dim=(2, 3), keepdim=True) + eps).sqrt()
    xn = (x - mu) / sig
    lam = torch.distributions.Beta(alpha, alpha).sample((b, 1, 1, 1))
    perm = torch.randperm(b, generator=gen)
    return xn * (lam * sig + (1 - lam) * sig[perm]) + (lam * mu + (1 - lam) * mu[perm])


class GeM(torch.nn.Module):
    """Generalised-mean pooling over space, (mean x^p)^(1/p) of the non-negative ReLU6 output: p = 1 is average
    pooling, larger p leans towards the strongest locations (a leaf in a corner of a cluttered photo)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 1.0:
            return x.mean(dim=(2, 3), keepdim=True)
        return x.clamp(min=1e-6).pow(self.p).mean(dim=(2, 3), keepdim=True).pow(1.0 / self.p)


@torch.no_grad()
def snap_int8(module: torch.nn.Module) -> torch.nn.Module:
    """Round every Conv2d / Linear weight of `module` to the symmetric int8 grid per output channel that the
    weight-only export stores it on (onnx_export.quantize_weight_only_qdq: scale = max |w| / 127), in place. The
    fold models are snapped too, so the scores the thresholds are placed on are the shipped int8 model's: exported
    unsnapped, the trained blocks' 8-bit rounding moved scores by up to 0.030 (min cosine to fp32 0.9960)."""
    for m in module.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            w = m.weight
            scale = w.abs().flatten(1).max(dim=1).values.float() / 127.0
            scale[scale == 0] = 1e-8
            shape = (-1,) + (1,) * (w.dim() - 1)
            w.copy_(torch.clamp(torch.round(w / scale.view(shape)), -127, 127) * scale.view(shape))
    return module


class TailHead(torch.nn.Module):
    """block-13 maps -> trained copy of features[14:19] -> global pool -> head: the `embedding`."""

    def __init__(self, tail: torch.nn.Module, dim: int, hidden: int = 0, gem: float = 1.0):
        super().__init__()
        self.tail = fold_batchnorm(tail)
        self.pool = torch.nn.AdaptiveAvgPool2d(1) if gem == 1.0 else GeM(gem)
        self.fc = (torch.nn.Sequential(torch.nn.Linear(1280, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, dim))
                   if hidden else torch.nn.Linear(1280, dim))

    def pooled(self, maps: torch.Tensor) -> torch.Tensor:
        """The pooled 1280-d vector the head reads (and the `features` output whitens)."""
        return torch.flatten(self.pool(self.tail(maps)), 1)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pooled(maps))


def train_tail(maps: np.ndarray, y: Sequence[int], strata: Sequence[str], tail: torch.nn.Module,
               cfg: TailConfig, log=None) -> TailHead:
    """ArcFace on block-13 maps (n, 96, h, w) with class labels y; returns the trained TailHead (eval mode)."""
    seed_everything(cfg.seed)
    y = np.asarray(y)
    n_classes = int(y.max()) + 1
    model = TailHead(tail, cfg.dim, cfg.hidden, cfg.gem)
    loss_fn = ArcFaceLoss(num_classes=n_classes, embedding_size=cfg.dim, margin=cfg.margin_deg, scale=cfg.scale)
    opt = torch.optim.AdamW([{"params": model.tail.parameters(), "lr": cfg.lr_tail},
                             {"params": model.fc.parameters(), "lr": cfg.lr_head}], weight_decay=cfg.weight_decay)
    loss_opt = torch.optim.AdamW(loss_fn.parameters(), lr=cfg.loss_lr, weight_decay=0.0)
    scheds = [torch.optim.lr_scheduler.OneCycleLR(o, max_lr=[g["lr"] for g in o.param_groups],
                                                  total_steps=cfg.steps, pct_start=0.15) for o in (opt, loss_opt)]
    gen = torch.Generator().manual_seed(cfg.seed)
    probs = torch.from_numpy(sampling_probs(y, strata, cfg.class_balance))
    order = torch.multinomial(probs, cfg.steps * cfg.batch_size, replacement=True,
                              generator=gen).view(cfg.steps, cfg.batch_size)
    yt = torch.from_numpy(y.astype(np.int64))
    model.train()  # no batch norm left (fold_batchnorm): train mode changes nothing but autograd
    for step in range(cfg.steps):
        idx = order[step].numpy()
        xb = torch.from_numpy(maps[idx].astype(np.float32))
        if cfg.mixstyle and float(torch.rand((), generator=gen)) < cfg.mixstyle:
            xb = mixstyle(xb, gen)
        loss = loss_fn(model(xb), yt[idx])
        opt.zero_grad()
        loss_opt.zero_grad()
        loss.backward()
        opt.step()
        loss_opt.step()
        for s in scheds:
            s.step()
        if log and (step + 1) % 100 == 0:
            log(f"    step {step + 1}/{cfg.steps}: loss {float(loss):.3f}")
    model.eval()
    snap_int8(model)
    model.class_weights = loss_fn.W.detach().numpy().T.copy()  # (classes, dim): ArcFace's class centres
    return model


@torch.no_grad()
def embed(model: TailHead, maps: np.ndarray, batch: int = 256, pooled: bool = False) -> np.ndarray:
    """The head's embeddings of block-13 maps, or (pooled=True) the pooled vectors it reads."""
    model.eval()
    f = model.pooled if pooled else model
    return np.concatenate([f(torch.from_numpy(maps[k:k + batch].astype(np.float32))).numpy()
                           for k in range(0, len(maps), batch)])
