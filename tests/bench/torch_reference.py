# The PyTorch reference for tests/bench/threads.ts: the same two VAEs, the same batch, the same Adam
# step, timed on the CPU. Run by the Node benchmark with Debian's python3-torch (PyTorch 1.13); never
# a runtime dependency. Prints one JSON line: {"torch": version, "threads": n, "mlp": images/s, "conv": images/s}.
import json
import re
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(1)
B = 128


class MlpVae(nn.Module):
    """The lectures' MLP VAE: 784-256-64-2, Bernoulli likelihood."""

    def __init__(self, latent=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU())
        self.mean = nn.Linear(64, latent)
        self.log_var = nn.Linear(64, latent)
        self.dec = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784))

    def loss(self, x):
        h = self.enc(x)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        logits = self.dec(z).view_as(x)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        kl = 0.5 * (mean ** 2 + log_var.exp() - 1 - log_var).sum(1)
        return (recon + kl).mean()


class ConvVae(nn.Module):
    """The app's conv VAE at 64x64 RGB: filters 32, 32, 64, 64 (kernel 4, stride 2), dense 256, Gaussian
    likelihood with a learned global log-variance."""

    def __init__(self, latent=32):
        super().__init__()
        f = [3, 32, 32, 64, 64]
        self.enc = nn.Sequential(*[m for i in range(4) for m in (nn.Conv2d(f[i], f[i + 1], 4, 2, 1), nn.ReLU())], nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU())
        self.mean = nn.Linear(256, latent)
        self.log_var = nn.Linear(256, latent)
        self.dec_dense = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 64 * 4 * 4), nn.ReLU())
        r = [64, 64, 32, 32, 3]
        layers = []
        for i in range(4):
            layers.append(nn.ConvTranspose2d(r[i], r[i + 1], 4, 2, 1))
            if i < 3:
                layers.append(nn.ReLU())
        self.dec = nn.Sequential(*layers)
        self.pixel_log_var = nn.Parameter(torch.tensor(math.log(0.01)))

    def loss(self, x):
        h = self.enc(x)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        mu = torch.sigmoid(self.dec(self.dec_dense(z).view(-1, 64, 4, 4)))
        lv = self.pixel_log_var.clamp(min=math.log(1e-4))
        recon = 0.5 * (((x - mu) ** 2) * torch.exp(-lv) + lv + math.log(2 * math.pi)).flatten(1).sum(1)
        kl = 0.5 * (mean ** 2 + log_var.exp() - 1 - log_var).sum(1)
        return (recon + kl).mean()


def rate(model, x, steps, rounds):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        model.loss(x).backward()
        opt.step()

    for _ in range(2):
        step()
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = max(best, steps * x.shape[0] / (time.perf_counter() - t0))
    return best


mlp = rate(MlpVae(), torch.rand(B, 1, 28, 28).round(), 20, 4)
conv = rate(ConvVae(), torch.rand(B, 3, 64, 64), 2, 3)


def blas_library():
    """The BLAS the process loaded. Debian's python3-torch is built against the generic libblas.so.3,
    which is the reference BLAS (about 10x slower here) unless OpenBLAS is installed; say which. Where
    there is no /proc (macOS, Windows), the BLAS torch reports it was built with."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return sorted(paths)
    except OSError:
        found = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
        return [f"BLAS_INFO={found.group(1)} (torch's build settings)"] if found else ["unknown (no /proc/self/maps)"]


print(json.dumps({"torch": torch.__version__, "threads": threads, "mlp": round(mlp, 1), "conv": round(conv, 1), "blas": blas_library()}))
